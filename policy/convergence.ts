// When to stop pre-dumping and take the final, frozen dump. Pure: fed by CRIU's dump
// statistics and the rounds' timings, so it can be tested against any story of a workload.
// The defaults sit with P.Haul's (8 rounds, 64 pages, 10 % growth) and LXD's (10 rounds,
// 70 % of memory already in sync).
import { z } from 'zod';

export const PAGE_SIZE = 4096;

export const ConvergencePolicy = z
  .object({
    /** Never more pre-dump rounds than this. */
    maxRounds: z.number().int().min(1).max(50).default(8),
    /** A round that wrote at most this many pages means memory has settled. */
    minPages: z.number().int().min(0).default(64),
    /** A round that wrote this much more than the one before: dirtying outpaces copying. */
    growthPercent: z.number().min(0).max(1000).default(10),
    /** Stop once this share of the last round's pages came unchanged from its parent. */
    inSyncPercent: z.number().min(0).max(100).default(70),
    /** Stop pre-copying after this long, whatever the rounds say. */
    timeBudgetSeconds: z.number().positive().max(86_400).default(300),
  })
  .strict();
export type ConvergencePolicy = z.infer<typeof ConvergencePolicy>;

/** One pre-dump round, as CRIU's stats-dump and the clock saw it. */
export const Round = z.object({
  round: z.number().int().min(1),
  pagesWritten: z.number().int().min(0),
  /** Pages CRIU found unchanged since the parent round (not sent again). */
  pagesSkipped: z.number().int().min(0),
  seconds: z.number().min(0),
  bytes: z.number().min(0),
});
export type Round = z.infer<typeof Round>;

export type Verdict =
  | { next: 'pre-dump'; reason: string; estimatedDowntimeSeconds: number | null }
  | { next: 'final-dump'; reason: string; estimatedDowntimeSeconds: number | null };

/** Bytes per second the last round achieved, or null when it moved too little to tell. */
export function linkRate(round: Round): number | null {
  return round.seconds > 0 && round.bytes > 0 ? round.bytes / round.seconds : null;
}

/**
 * The final dump must still send what the last round left dirty: about as many pages as
 * that round wrote (the workload keeps dirtying at a similar rate), at the rate it achieved.
 */
export function estimateDowntime(last: Round): number | null {
  const rate = linkRate(last);
  return rate === null ? null : (last.pagesWritten * PAGE_SIZE) / rate;
}

/**
 * After each pre-dump round: another round, or the final dump? `maxDowntimeSeconds` is the
 * migration's downtime target; the policy's thresholds decide the rest.
 */
export function decide(rounds: readonly Round[], elapsedSeconds: number, policy: ConvergencePolicy, maxDowntimeSeconds: number): Verdict {
  const last = rounds[rounds.length - 1];
  if (!last) return { next: 'pre-dump', reason: 'no round yet', estimatedDowntimeSeconds: null };
  const previous = rounds[rounds.length - 2];
  const estimate = estimateDowntime(last);
  const stop = (reason: string): Verdict => ({ next: 'final-dump', reason, estimatedDowntimeSeconds: estimate });

  if (last.pagesWritten <= policy.minPages) return stop(`converged: round ${last.round} wrote ${last.pagesWritten} pages (<= ${policy.minPages})`);
  if (previous && last.pagesWritten > previous.pagesWritten * (1 + policy.growthPercent / 100)) {
    return stop(`not converging: round ${last.round} wrote ${last.pagesWritten} pages, more than ${previous.pagesWritten} before it`);
  }
  if (estimate !== null && estimate <= maxDowntimeSeconds) {
    return stop(`estimated downtime ${estimate.toFixed(2)}s is within ${maxDowntimeSeconds}s`);
  }
  const total = last.pagesWritten + last.pagesSkipped;
  if (previous && total > 0 && (last.pagesSkipped / total) * 100 >= policy.inSyncPercent) {
    return stop(`in sync: ${Math.round((last.pagesSkipped / total) * 100)}% of memory unchanged since round ${previous.round}`);
  }
  if (rounds.length >= policy.maxRounds) return stop(`round cap: ${policy.maxRounds} rounds`);
  if (elapsedSeconds >= policy.timeBudgetSeconds) return stop(`time budget: ${Math.round(elapsedSeconds)}s of ${policy.timeBudgetSeconds}s spent`);
  return { next: 'pre-dump', reason: `round ${last.round} wrote ${last.pagesWritten} pages`, estimatedDowntimeSeconds: estimate };
}
