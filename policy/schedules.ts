// A rebalance Schedule as Godwit keeps it, and what its commands answer. Pure: the client
// (client/schedules.ts) does the talking to Temporal.
import { z } from 'zod';
import { RebalanceRequest } from './rebalance-request';

/** The server accepts less, but a run every few seconds would only pile up skipped actions. */
export const MIN_INTERVAL_MS = 10_000;
/** Only to keep the numbers sane: an interval longer than this is a typo. */
export const MAX_INTERVAL_MS = 8760 * 3_600_000;

/** Milliseconds the way --every is written: 5400000 is "1h30m". */
export function formatInterval(ms: number): string {
  // Another tool's schedule may run on sub-second intervals.
  if (!Number.isInteger(ms / 1000)) return `${ms}ms`;
  let rest = ms / 1000;
  const parts: string[] = [];
  for (const [unit, seconds] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / seconds);
    rest -= n * seconds;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.join('') || '0s';
}

export const RebalanceScheduleSettings = z
  .object({
    everyMs: z
      .number()
      .int()
      .min(MIN_INTERVAL_MS, `a schedule's interval is at least ${formatInterval(MIN_INTERVAL_MS)}`)
      .max(MAX_INTERVAL_MS, `a schedule's interval is at most ${formatInterval(MAX_INTERVAL_MS)}`),
    request: RebalanceRequest,
  })
  .strict();
export type RebalanceScheduleSettings = z.infer<typeof RebalanceScheduleSettings>;
export type RebalanceScheduleSettingsInput = z.input<typeof RebalanceScheduleSettings>;

export const UpsertedSchedule = z.object({
  scheduleId: z.string(),
  created: z.boolean(),
  everyMs: z.number(),
  dryRun: z.boolean(),
  /** An update keeps a paused schedule paused: re-running `schedule rebalance` changes settings, not state. */
  paused: z.boolean(),
});
export type UpsertedSchedule = z.infer<typeof UpsertedSchedule>;

export const ScheduleRow = z.object({
  scheduleId: z.string(),
  workflowType: z.string().nullable(),
  /** "15m", or "calendar" for a schedule made elsewhere with calendar or cron specs. */
  every: z.string(),
  paused: z.boolean(),
  /** ISO time of the next run; null when paused. */
  nextRun: z.string().nullable(),
  /** e.g. "completed: 2 moves planned, 2 migrated"; null before the first run. */
  lastRun: z.string().nullable(),
});
export type ScheduleRow = z.infer<typeof ScheduleRow>;

export const Triggered = z.object({
  scheduleId: z.string(),
  /** A run of the schedule was already under way: with overlap SKIP, this trigger starts nothing. */
  runningAlready: z.array(z.string()),
  overlap: z.string(),
});
export type Triggered = z.infer<typeof Triggered>;

/** What pause, unpause and delete answer. */
export const ScheduleChanged = z.object({ scheduleId: z.string(), action: z.enum(['paused', 'unpaused', 'deleted']) });
export type ScheduleChanged = z.infer<typeof ScheduleChanged>;
