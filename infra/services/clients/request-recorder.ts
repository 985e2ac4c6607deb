// The load of a LoadPlan, as Siege makes it (the same visitors, the same order of requests, one
// request at a time per visitor, a new connection each unless kept), but with a record of every
// request: when it started and ended (ms since the epoch, sub-millisecond), its status or why it
// got none. That is what the response time by request number across a migration needs (the
// seed paper's Fig. 4), which Siege cannot give (siege.ts). summarizeRecords counts the records
// as Siege counts its requests, so a recorded run and a Siege run can be set side by side.
import http from 'node:http';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { LoadPlan, type LoadPlanInput, type LoadRequest } from './load-plan';
import type { SiegeSummary } from './siege';

export const RequestRecord = z.object({
  /** 1, 2, ... in the order the requests started. */
  n: z.number().int().positive(),
  /** Which simulated visitor sent it (0 .. concurrency-1). */
  visitor: z.number().int().nonnegative(),
  method: z.enum(['GET', 'POST']),
  path: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  /** The HTTP status; null when no answer came (refused, reset, timed out). */
  status: z.number().int().nullable(),
  /** Body bytes received. */
  bytes: z.number().int().nonnegative(),
  error: z.string().nullable(),
  /**
   * Still open when the run ended (endMs is then the run's end): kept, because a request stuck
   * across an outage is what Fig. 4 must show, but not counted by summarizeRecords, as Siege
   * counts none of those.
   */
  endedByRun: z.boolean(),
});
export type RequestRecord = z.infer<typeof RequestRecord>;

export interface RecordedRun {
  startedMs: number;
  endedMs: number;
  /** Every request, by n; those still open at the end have endedByRun. */
  records: RequestRecord[];
}

const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number | null;
  bytes: number;
  error: string | null;
}

function send(plan: LoadPlan, request: LoadRequest, agent: http.Agent | false, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve) => {
    let bytes = 0;
    let status: number | null = null;
    let settled = false;
    const finish = (error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status: error === null ? status : null, bytes, error });
    };
    const headers: http.OutgoingHttpHeaders = { Accept: '*/*', 'User-Agent': 'godwit-request-recorder' };
    if (plan.connection === 'close') headers.Connection = 'close';
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = Buffer.byteLength(request.body);
    }
    const req = http.request({ host: plan.address, port: plan.port, method: request.method, path: request.path, headers, agent, signal }, (response) => {
      status = response.statusCode ?? null;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => finish(response.complete ? null : 'body cut short'));
      response.on('error', (err) => finish(err.message));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no complete answer in ${plan.timeoutSeconds} s`)), plan.timeoutSeconds * 1000);
    req.on('error', (err) => finish(err.message));
    req.end(request.body);
  });
}

/** Runs `plan` against its service and records every request. */
export async function recordRequests(input: LoadPlanInput): Promise<RecordedRun> {
  const plan = LoadPlan.parse(input);
  const records: RequestRecord[] = [];
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every request in flight (and its socket) listens to it: no leak
  let started = 0;
  const startedMs = nowMs();
  const deadline = startedMs + plan.seconds * 1000;
  const end = setTimeout(() => stop.abort(), plan.seconds * 1000);
  const visitor = async (id: number) => {
    const agent = plan.connection === 'keep-alive' ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    // Where Siege's visitors start in the list (browser.c: id * (length / users), in integers).
    let turn = id * Math.floor(plan.requests.length / plan.concurrency);
    try {
      while (!stop.signal.aborted && nowMs() < deadline) {
        const request = plan.requests[turn++ % plan.requests.length];
        const n = ++started;
        const startMs = nowMs();
        const answer = await send(plan, request, agent, stop.signal);
        const endedByRun = stop.signal.aborted;
        records.push({ n, visitor: id, method: request.method, path: request.path, startMs, endMs: nowMs(), ...answer, endedByRun });
        if (endedByRun) break;
        if (plan.delaySeconds > 0) await sleep(Math.random() * plan.delaySeconds * 1000);
      }
    } finally {
      if (agent) agent.destroy();
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, id) => visitor(id)));
  } finally {
    clearTimeout(end);
  }
  records.sort((a, b) => a.n - b.n);
  return { startedMs, endedMs: nowMs(), records };
}

/** Siege gives up on these statuses as on a refused connection (browser.c). */
const siegeFails = (status: number) => status === 408 || (status >= 500 && status <= 509);
const siegeSucceeds = (status: number) => status < 400 || status === 401 || status === 407;

/** The records counted as Siege counts its requests (see siege.ts), in its summary's terms. */
export function summarizeRecords(run: RecordedRun): SiegeSummary {
  const elapsedSeconds = (run.endedMs - run.startedMs) / 1000;
  const counted = run.records.filter((r) => !r.endedByRun);
  const answered = counted.filter((r) => r.status !== null);
  const hits = answered.filter((r) => r.status !== null && !siegeFails(r.status));
  const failed = counted.length - hits.length;
  const seconds = answered.map((r) => (r.endMs - r.startMs) / 1000);
  const total = seconds.reduce((a, b) => a + b, 0);
  const megabytes = answered.reduce((a, r) => a + r.bytes, 0) / (1024 * 1024);
  const per = (x: number, y: number) => (y > 0 ? x / y : 0);
  return {
    transactions: hits.length,
    availabilityPercent: per(hits.length, hits.length + failed) * 100,
    elapsedSeconds,
    dataMegabytes: megabytes,
    responseTimeSeconds: per(total, hits.length),
    transactionsPerSecond: per(hits.length, elapsedSeconds),
    throughputMegabytesPerSecond: per(megabytes, elapsedSeconds),
    concurrency: per(total, elapsedSeconds),
    successfulTransactions: hits.filter((r) => r.status !== null && siegeSucceeds(r.status)).length,
    failedTransactions: failed,
    longestTransactionSeconds: seconds.reduce((a, b) => Math.max(a, b), 0),
    shortestTransactionSeconds: seconds.length ? seconds.reduce((a, b) => Math.min(a, b)) : 0,
  };
}
