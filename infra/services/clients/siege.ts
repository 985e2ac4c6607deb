// Debian's Siege (4.0.7) as the load generator the seed paper used: `siege -c N -t Ts` over a
// URL list, with its final statistics read from its JSON output (-j, in 4.0.x: the same numbers
// as its text summary, which it then leaves out). Siege keeps no per-request record worth
// plotting: its verbose lines give each request's time in clock ticks (times(2), 10 ms here, as
// "%5.2f secs"), its completion stamp to the second and no start, so the response time by
// request number across a migration (the paper's Fig. 4) comes from request-recorder.ts.
//
// How Siege counts (src/browser.c, src/main.c): an answer with any status but 408 and 5xx is a
// transaction (a "hit"); 408, 5xx, a refused or timed-out connection are failed transactions;
// a transaction is successful below 400 (and at 401, 407). Availability = transactions /
// (transactions + failed). Response time = the time of every answered request (5xx included) /
// transactions; longest and shortest likewise over every answer.
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { executeOk } from '../../../runtime/exec';
import { LoadPlan, requestUrl, type LoadPlanInput } from './load-plan';

/** Siege's JSON, as 4.0.7 prints it, under the names of its text summary. */
export const SiegeSummary = z
  .object({
    transactions: z.number().int().nonnegative(),
    availability: z.number().min(0).max(100),
    elapsed_time: z.number().nonnegative(),
    data_transferred: z.number().nonnegative(),
    response_time: z.number().nonnegative(),
    transaction_rate: z.number().nonnegative(),
    throughput: z.number().nonnegative(),
    concurrency: z.number().nonnegative(),
    successful_transactions: z.number().int().nonnegative(),
    failed_transactions: z.number().int().nonnegative(),
    longest_transaction: z.number().nonnegative(),
    shortest_transaction: z.number().nonnegative(),
  })
  .transform((s) => ({
    transactions: s.transactions,
    availabilityPercent: s.availability,
    elapsedSeconds: s.elapsed_time,
    dataMegabytes: s.data_transferred,
    responseTimeSeconds: s.response_time,
    transactionsPerSecond: s.transaction_rate,
    throughputMegabytesPerSecond: s.throughput,
    concurrency: s.concurrency,
    successfulTransactions: s.successful_transactions,
    failedTransactions: s.failed_transactions,
    longestTransactionSeconds: s.longest_transaction,
    shortestTransactionSeconds: s.shortest_transaction,
  }));
export type SiegeSummary = z.output<typeof SiegeSummary>;

/** Reads Siege's JSON summary from its stdout (the one JSON object there). */
export function parseSiegeSummary(stdout: string): SiegeSummary {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON summary in siege's output: ${stdout.slice(0, 200)}`);
  return SiegeSummary.parse(JSON.parse(stdout.slice(start, end + 1)));
}

/** More failures than this and Siege gives up mid-run ("aborted due to excessive socket failure"). */
const FAILURE_LIMIT = 1_000_000;

/**
 * The whole configuration (-R), so nothing of a ~/.siege/siege.conf or of /etc/siege applies.
 * No HTML parser (Siege 4 would fetch each page's CSS, scripts and images as extra
 * transactions), no redirect following (a comment's 302 is its answer, as for the recorder),
 * empty bodies allowed (that 302 has none, and Siege counts a body of 0 bytes as a failure
 * otherwise), no cache, no early abort: an outage must show in the numbers, not end the run.
 */
export function siegeRc(plan: LoadPlan): string {
  return [
    'verbose = false',
    'color = off',
    'quiet = true',
    'json_output = true',
    'show-logfile = false',
    'logging = false',
    'parser = false',
    'follow-location = false',
    'zero-data-ok = true',
    'cache = false',
    'protocol = HTTP/1.1',
    'chunked = true',
    `connection = ${plan.connection}`,
    `timeout = ${plan.timeoutSeconds}`,
    `failures = ${FAILURE_LIMIT}`,
    'internet = false',
    'url-escaping = false',
    '',
  ].join('\n');
}

/** The URL file (-f): one request a line, a POST with its body after the method. */
export function siegeUrls(plan: LoadPlan): string {
  return `${plan.requests.map((r) => (r.method === 'POST' ? `${requestUrl(plan, r)} POST ${r.body ?? ''}` : requestUrl(plan, r))).join('\n')}\n`;
}

/** Siege's arguments, given its rc and URL files. */
export function siegeArgs(plan: LoadPlan, rcFile: string, urlFile: string): string[] {
  const pacing = plan.delaySeconds > 0 ? ['--delay', String(plan.delaySeconds)] : ['--benchmark'];
  return ['--rc', rcFile, '--file', urlFile, '--concurrent', String(plan.concurrency), '--time', `${plan.seconds}S`, ...pacing, '--json-output'];
}

export interface SiegeRun {
  summary: SiegeSummary;
  /** Siege's own complaints (stderr, one line per failed transaction), by kind: why they failed. */
  errors: Record<string, number>;
  /** Wall-clock times of the siege process (ms since the epoch): where the run sits on a migration's timeline. */
  startedMs: number;
  endedMs: number;
}

/** Runs Siege with `plan` and returns its summary; `siege` is its path (Debian: /usr/bin/siege). */
export async function runSiege(input: LoadPlanInput, siege = '/usr/bin/siege'): Promise<SiegeRun> {
  const plan = LoadPlan.parse(input);
  // Its own HOME too: Siege writes a ~/.siege/siege.conf template when it finds none.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'godwit-siege-'));
  try {
    const rcFile = path.join(dir, 'siegerc');
    const urlFile = path.join(dir, 'urls.txt');
    await fs.writeFile(rcFile, siegeRc(plan));
    await fs.writeFile(urlFile, siegeUrls(plan));
    const startedMs = Date.now();
    const result = await executeOk(siege, siegeArgs(plan, rcFile, urlFile), {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      // Its own deadline, then the last requests' timeout, then some slack.
      timeoutMs: (plan.seconds + plan.timeoutSeconds + 30) * 1000,
    });
    return { summary: parseSiegeSummary(result.stdout), errors: siegeErrors(result.stderr), startedMs, endedMs: Date.now() };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Siege's error lines, counted by kind: `[error] socket: unable to connect sock.c:282:
 * Connection refused` counts as `socket: unable to connect: Connection refused` (colour codes
 * and source positions dropped, so one cause is one kind).
 */
export function siegeErrors(stderr: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const raw of stderr.split('\n')) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
    const match = /^\[(error|alert|fatal)\]\s*(.*)$/.exec(line);
    if (!match) continue;
    const kind = match[2].replace(/\s*\S+\.c:\d+:?/g, ':').replace(/\s*:\s*:/g, ':').replace(/\s+/g, ' ').trim();
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
