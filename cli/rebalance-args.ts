// `godwit rebalance` and `godwit schedule ...` arguments to checked values: every flag is
// validated here, before the CLI reads a file or connects to anything. Pure, so hostile input
// can be thrown at it in tests. Reading --policy FILE is left to cli/rebalancing.ts.
import { REBALANCE_SCHEDULE_ID } from '../policy/names';
import type { RebalancePolicy } from '../policy/rebalance';
import { RebalanceRequest, parseRebalanceRequest } from '../policy/rebalance-request';
import { Strategy } from '../policy/strategy';
import { UsageError, readOptions, shown, type Values } from './options';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, formatInterval } from '../policy/schedules';

/** The flags `godwit rebalance` and `godwit schedule rebalance` share. */
export interface RebalanceArgs {
  dryRun: boolean;
  /** Not read here (I/O): cli/rebalancing.ts reads and validates it. */
  policyFile: string | null;
  /** null: the request's default. */
  maxConcurrentMoves: number | null;
  strategy: Strategy | null;
}

export interface ScheduleRebalanceArgs extends RebalanceArgs {
  /** The interval between runs, in milliseconds. */
  everyMs: number;
}

export const SCHEDULE_VERBS = ['rebalance', 'list', 'pause', 'unpause', 'delete', 'trigger'] as const;

export type ScheduleCommand =
  | { verb: 'rebalance'; args: ScheduleRebalanceArgs }
  | { verb: 'list' }
  | { verb: 'pause' | 'unpause' | 'delete' | 'trigger'; scheduleId: string };

// The limits live in the request's schema; the messages here only quote them.
const MAX_CONCURRENT = RebalanceRequest.shape.maxConcurrentMoves.unwrap();
const MAX_CONCURRENT_MIN = MAX_CONCURRENT.minValue ?? 1;
const MAX_CONCURRENT_MAX = MAX_CONCURRENT.maxValue ?? Number.MAX_SAFE_INTEGER;

const REBALANCE_OPTIONS = { 'dry-run': 'boolean', policy: 'string', 'max-concurrent': 'string', strategy: 'string' } as const;
const SCHEDULE_REBALANCE_OPTIONS = { ...REBALANCE_OPTIONS, every: 'string' } as const;

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${shown(positionals[0])}`);
}

function maxConcurrentOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  // Digits only: Number() would take "0x10", "1e1" and " 2 ".
  const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(n >= MAX_CONCURRENT_MIN && n <= MAX_CONCURRENT_MAX)) {
    throw new UsageError(`--max-concurrent must be a whole number from ${MAX_CONCURRENT_MIN} to ${MAX_CONCURRENT_MAX}, not ${shown(text)}`);
  }
  return n;
}

function strategyOf(text: string | undefined): Strategy | null {
  if (text === undefined) return null;
  const parsed = Strategy.safeParse(text);
  if (!parsed.success) throw new UsageError(`--strategy must be one of ${Strategy.options.join(', ')}, not ${shown(text)}`);
  return parsed.data;
}

function rebalanceArgsOf(values: Values<typeof REBALANCE_OPTIONS>): RebalanceArgs {
  return {
    dryRun: values['dry-run'] ?? false,
    policyFile: values.policy ?? null,
    maxConcurrentMoves: maxConcurrentOf(values['max-concurrent']),
    strategy: strategyOf(values.strategy),
  };
}

const DURATION = /^(?:(\d{1,5})h)?(?:(\d{1,5})m)?(?:(\d{1,5})s)?$/;
const UNIT_MS = [3_600_000, 60_000, 1_000];

/** "30s", "15m", "1h", "1h30m", "1h30m15s" (units in that order, each at most once) to milliseconds. */
export function parseInterval(text: string): number {
  const match = DURATION.exec(text);
  if (text === '' || match === null) throw new UsageError(`--every ${shown(text)} is not a duration: write it like 30s, 15m, 1h or 1h30m`);
  const ms = match.slice(1).reduce((sum, part, i) => sum + (part === undefined ? 0 : Number(part) * UNIT_MS[i]), 0);
  if (ms < MIN_INTERVAL_MS) throw new UsageError(`--every ${text} is too short: the minimum is ${formatInterval(MIN_INTERVAL_MS)}`);
  if (ms > MAX_INTERVAL_MS) throw new UsageError(`--every ${text} is too long: the maximum is ${formatInterval(MAX_INTERVAL_MS)}`);
  return ms;
}

/** `godwit rebalance [--dry-run] [--policy FILE] [--max-concurrent N] [--strategy S]` */
export function parseRebalanceArgs(args: string[]): RebalanceArgs {
  const { values, positionals } = readOptions(args, REBALANCE_OPTIONS);
  noPositionals(positionals);
  return rebalanceArgsOf(values);
}

/** `godwit schedule rebalance --every DURATION [...the rebalance flags]` */
export function parseScheduleRebalanceArgs(args: string[]): ScheduleRebalanceArgs {
  const { values, positionals } = readOptions(args, SCHEDULE_REBALANCE_OPTIONS);
  noPositionals(positionals);
  if (values.every === undefined) throw new UsageError('schedule rebalance needs --every DURATION, e.g. --every 15m');
  return { ...rebalanceArgsOf(values), everyMs: parseInterval(values.every) };
}

/** Anything the server would store, but nothing that garbles a terminal. */
const SCHEDULE_ID = /^[^\u0000-\u001f\u007f]{1,255}$/u;

/** `godwit schedule <verb> ...` */
export function parseScheduleArgs(args: string[]): ScheduleCommand {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'rebalance':
      return { verb, args: parseScheduleRebalanceArgs(rest) };
    case 'list':
      noPositionals(readOptions(rest, {}).positionals);
      return { verb };
    case 'pause':
    case 'unpause':
    case 'delete':
    case 'trigger': {
      const { positionals } = readOptions(rest, {});
      if (positionals.length > 1) throw new UsageError(`unexpected argument ${shown(positionals[1])}`);
      const scheduleId = positionals[0] ?? REBALANCE_SCHEDULE_ID;
      if (!SCHEDULE_ID.test(scheduleId)) throw new UsageError(`a schedule ID is 1-255 characters, none of them control characters, not ${shown(scheduleId)}`);
      return { verb, scheduleId };
    }
    case undefined:
      throw new UsageError(`schedule needs one of: ${SCHEDULE_VERBS.join(', ')}`);
    default:
      throw new UsageError(`unknown schedule command ${shown(verb)}; one of: ${SCHEDULE_VERBS.join(', ')}`);
  }
}

/**
 * The request the workflow gets, checked by the same parser the workflow uses. `policy` is
 * the --policy file's content, already read and validated by the caller.
 */
export function rebalanceRequestOf(args: RebalanceArgs, policy?: RebalancePolicy): RebalanceRequest {
  const parsed = parseRebalanceRequest({
    dryRun: args.dryRun,
    // Absent rather than undefined: the workflow's defaults apply, as from the UI's form.
    ...(policy === undefined ? {} : { policy }),
    ...(args.maxConcurrentMoves === null ? {} : { maxConcurrentMoves: args.maxConcurrentMoves }),
    ...(args.strategy === null ? {} : { strategy: args.strategy }),
  });
  if (!parsed.ok) throw new UsageError(parsed.error);
  return parsed.value;
}
