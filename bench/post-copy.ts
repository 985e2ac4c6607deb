// What post-copy costs the application: the workload's own rate while it runs on the
// source's memory (the lazy-pages drain) against its rate before the freeze. The counter
// workload ticks every 10 ms, so a tick that waits for a page shows as a lower rate.
import type { CounterReading } from '../infra/demo/probe';
import type { MigrationReport } from '../policy/report';
import type { PostCopyCost } from './model';

/** Counter ticks a second between the first and last reading inside [from, to]; null with fewer than two. */
export function counterRate(readings: readonly CounterReading[], from: number, to: number): number | null {
  const inside = readings.filter((r) => r.at >= from && r.at <= to).sort((a, b) => a.at - b.at);
  if (inside.length < 2) return null;
  const first = inside[0];
  const last = inside[inside.length - 1];
  return last.at === first.at ? null : ((last.counter - first.counter) * 1000) / (last.at - first.at);
}

/**
 * The rate before (from `probeFrom` to the checkpoint phase's start, the freeze) and during
 * the drain (from the restore phase's end to the last page), from the probe's readings and
 * the report's phase times. Null for a report that is not a migrated post-copy run.
 */
export function postCopyCost(readings: readonly CounterReading[], report: MigrationReport, probeFrom: number): PostCopyCost | null {
  const drainSeconds = report.postCopy?.drainSeconds;
  const freeze = report.phases.find((p) => p.phase === 'checkpoint')?.startedAt;
  const running = report.phases.find((p) => p.phase === 'restore')?.endedAt;
  if (report.outcome !== 'migrated' || drainSeconds === null || drainSeconds === undefined || freeze === undefined || running === null || running === undefined) return null;
  return {
    drainSeconds,
    rateBefore: counterRate(readings, probeFrom, freeze),
    rateDuringDrain: counterRate(readings, running, running + drainSeconds * 1000),
  };
}
