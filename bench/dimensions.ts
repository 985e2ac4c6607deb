// The run's comparisons beyond Godwit against the bare script: post-copy against page-server,
// downtime against the workers' latency to the server, and SSH gateways against local workers.
// Medians over migrated Godwit samples of one run, so each comparison is like with like.
import type { BenchResults, BenchSample } from './model';
import { caseKey, caseOf, groupBy, medianOf, round3 } from './stats';

/** A post-copy case against page-server at the same size: downtime, and what the drain cost. */
export interface PostCopySummary {
  case: string;
  n: number;
  /** Medians, seconds; null where a side has none. */
  downtime: number | null;
  pageServerDowntime: number | null;
  drainSeconds: number | null;
  /** The workload's rate during the drain over its rate before the freeze (1: no slower). */
  rateDuringDrain: number | null;
}

/** One strategy's downtime against the delay each way between the workers and the server. */
export interface ServerLatencySummary {
  strategy: BenchSample['strategy'];
  /** Median downtime at each delay measured, in the run's order. */
  points: { delayMs: number; n: number; downtime: number | null }[];
  /** Downtime at the largest delay over downtime at 0 (the target: at most 1.1). */
  ratio: number | null;
  /** Least-squares slope: seconds of downtime per millisecond of added round trip (twice the delay). */
  secondsPerMsRoundTrip: number | null;
}

/** A case driven over SSH by gateways against the same case over the hosts' own workers. */
export interface GatewaySummary {
  case: string;
  n: { ssh: number; worker: number };
  downtime: { ssh: number | null; worker: number | null };
  /** SSH's median over the workers' (the target: at most 1.5). */
  ratio: number | null;
}

const rounded = (x: number | null) => (x === null ? null : round3(x));
const quotient = (x: number | null, y: number | null) => (x === null || y === null || y === 0 ? null : round3(x / y));
const downtime = (s: BenchSample) => s.seconds.downtime;
const migratedGodwit = (results: BenchResults) => groupBy(results.samples.filter((s) => s.runner === 'godwit' && s.outcome === 'migrated'), caseKey);

/** Each post-copy case of the run beside page-server's downtime for the same case. */
export function postCopySummaries(results: BenchResults): PostCopySummary[] {
  const migrated = migratedGodwit(results);
  const cases = [...new Map(results.samples.filter((s) => s.strategy === 'post-copy' && s.runner === 'godwit').map((s) => [caseKey(s), caseOf(s)])).values()];
  return cases.map((c) => {
    const own = migrated.get(caseKey(c)) ?? [];
    const pageServer = migrated.get(caseKey({ ...c, strategy: 'page-server' })) ?? [];
    const rate = (s: BenchSample) => (s.postCopy?.rateBefore && s.postCopy.rateDuringDrain !== null ? s.postCopy.rateDuringDrain / s.postCopy.rateBefore : null);
    return {
      case: caseKey(c),
      n: own.length,
      downtime: rounded(medianOf(own, downtime)),
      pageServerDowntime: rounded(medianOf(pageServer, downtime)),
      drainSeconds: rounded(medianOf(own, (s) => s.postCopy?.drainSeconds ?? null)),
      rateDuringDrain: rounded(medianOf(own, rate)),
    };
  });
}

/** Least-squares slope of y on x; null with fewer than two distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  if (new Set(points.map((p) => p.x)).size < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

/** Per strategy, the downtime at each server delay of the run (cases run through the latency proxy). */
export function serverLatencySummaries(results: BenchResults): ServerLatencySummary[] {
  const through = results.samples.filter((s) => s.runner === 'godwit' && s.serverDelayMs !== null);
  const strategies = [...new Set(through.map((s) => s.strategy))];
  return strategies.map((strategy) => {
    const mine = through.filter((s) => s.strategy === strategy);
    const delays = [...new Set(mine.map((s) => s.serverDelayMs ?? 0))].sort((a, b) => a - b);
    const points = delays.map((delayMs) => {
      const at = mine.filter((s) => s.serverDelayMs === delayMs && s.outcome === 'migrated');
      return { delayMs, n: at.length, downtime: rounded(medianOf(at, downtime)) };
    });
    const measured = points.filter((p): p is { delayMs: number; n: number; downtime: number } => p.downtime !== null);
    const zero = measured.find((p) => p.delayMs === 0);
    const largest = measured[measured.length - 1];
    // Every migrated sample counts in the slope, not only the medians.
    const perSample = mine.filter((s) => s.outcome === 'migrated' && s.seconds.downtime !== null).map((s) => ({ x: 2 * (s.serverDelayMs ?? 0), y: s.seconds.downtime ?? 0 }));
    const perMs = slope(perSample);
    return {
      strategy,
      points,
      ratio: zero && largest && largest.delayMs > 0 ? quotient(largest.downtime, zero.downtime) : null,
      secondsPerMsRoundTrip: perMs === null ? null : Math.round(perMs * 1e5) / 1e5,
    };
  });
}

/**
 * Each case the run drove over SSH beside the same case over the hosts' own workers, where
 * the run has both (a run with ssh-tunnel drives every case over SSH: nothing to compare).
 */
export function gatewaySummaries(results: BenchResults): GatewaySummary[] {
  const migrated = migratedGodwit(results);
  const attempted = new Set(results.samples.filter((s) => s.runner === 'godwit').map(caseKey));
  const overSsh = results.samples.filter((s) => s.runner === 'godwit' && s.hostAccess === 'ssh' && s.serverDelayMs === null && attempted.has(caseKey({ ...s, hostAccess: 'worker' })));
  const cases = [...new Map(overSsh.map((s) => [caseKey(s), caseOf(s)])).values()];
  return cases.map((c) => {
    const local = { ...c, hostAccess: 'worker' as const };
    const ssh = migrated.get(caseKey(c)) ?? [];
    const worker = migrated.get(caseKey(local)) ?? [];
    const d = { ssh: rounded(medianOf(ssh, downtime)), worker: rounded(medianOf(worker, downtime)) };
    return { case: caseKey(local), n: { ssh: ssh.length, worker: worker.length }, downtime: d, ratio: quotient(d.ssh, d.worker) };
  });
}
