// Rebalancing through the Temporal client: one run now (`godwit rebalance`) or a Temporal
// Schedule that starts runs on an interval (`godwit schedule ...`). Every function takes a
// Client, so the workflow tests can hand in their dev server's.
import { readFileSync } from 'node:fs';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
  type WorkflowHandle,
} from '@temporalio/client';
import { ORCHESTRATOR_TASK_QUEUE, REBALANCE_SCHEDULE_ID, REBALANCE_WORKFLOW_ID } from '../policy/names';
import { formatPlan, parseRebalancePolicy, type RebalancePolicy } from '../policy/rebalance';
import { RebalanceReport, parseRebalanceRequest, type RebalanceRequest, type RebalanceRequestInput } from '../policy/rebalance-request';
import type { rebalanceWorkflow } from '../workflows/rebalance';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, formatInterval, rebalanceRequestOf, type RebalanceArgs, type ScheduleCommand } from './rebalance-args';
import { UserError } from './migrations';

/** The workflow's type name as clients and schedules refer to it. */
const REBALANCE_WORKFLOW_TYPE = 'rebalanceWorkflow';

/** The --policy file as the request's policy, or a UserError that names the file. */
export function loadPolicyFile(file: string): RebalancePolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read policy file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`policy file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = parseRebalancePolicy(json);
  if (!parsed.ok) throw new UserError(`policy file ${file}: ${parsed.error}`);
  return parsed.value;
}

/** Parsed flags to the workflow's request, reading --policy FILE if given. */
export function rebalanceRequestFromArgs(args: RebalanceArgs): RebalanceRequest {
  return rebalanceRequestOf(args, args.policyFile === null ? undefined : loadPolicyFile(args.policyFile));
}

function checkedRequest(input: RebalanceRequestInput): RebalanceRequest {
  // Checked here too, so a bad request never reaches the server whoever the caller is.
  const parsed = parseRebalanceRequest(input);
  if (!parsed.ok) throw new UserError(parsed.error);
  return parsed.value;
}

export async function startRebalance(client: Client, input: RebalanceRequestInput): Promise<WorkflowHandle<typeof rebalanceWorkflow>> {
  const request = checkedRequest(input);
  try {
    return await client.workflow.start<typeof rebalanceWorkflow>(REBALANCE_WORKFLOW_TYPE, {
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowId: REBALANCE_WORKFLOW_ID,
      args: [request],
      // One operator-started run at a time; a finished one's ID may be used again.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: request.dryRun ? 'rebalance (dry run)' : 'rebalance',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UserError(`a rebalance is already running (workflow ${REBALANCE_WORKFLOW_ID}); wait for it, or see it in the Temporal UI`);
    }
    throw err;
  }
}

/** The run's report; a failed run is a UserError with the failure's own message. */
export async function rebalanceResult(handle: WorkflowHandle<typeof rebalanceWorkflow>): Promise<RebalanceReport> {
  try {
    return RebalanceReport.parse(await handle.result());
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new UserError(`rebalance ${handle.workflowId} failed: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/** Starts a run and waits for its report. */
export async function runRebalance(client: Client, input: RebalanceRequestInput): Promise<RebalanceReport> {
  return rebalanceResult(await startRebalance(client, input));
}

/** The plan's tables, then what became of each move. */
export function formatRebalanceReport(report: RebalanceReport): string {
  const lines = [formatPlan(report.plan)];
  if (report.dryRun) lines.push('', 'dry run: nothing moved');
  else if (report.moves.length > 0) {
    lines.push('', ...report.moves.map((m) => `${m.container}: ${m.source} → ${m.target} ${m.outcome}${m.reason ? ` (${m.reason})` : ''}`));
  }
  return lines.join('\n');
}

/** 0 when every planned move (if any) migrated, 1 otherwise: scripts can tell a partial run. */
export function rebalanceExitCode(report: RebalanceReport): number {
  return report.moves.every((m) => m.outcome === 'migrated') ? 0 : 1;
}

// ---- Schedules ----

function notFound(scheduleId: string): UserError {
  return new UserError(`no schedule "${scheduleId}"; see "godwit schedule list"`);
}

/** Runs `fn` on the schedule's handle; a missing schedule becomes a UserError that names it. */
async function onSchedule<T>(client: Client, scheduleId: string, fn: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw notFound(scheduleId);
    throw err;
  }
}

export interface RebalanceScheduleSettings {
  everyMs: number;
  request: RebalanceRequestInput;
}

export interface UpsertedSchedule {
  scheduleId: string;
  created: boolean;
  everyMs: number;
  dryRun: boolean;
  /** An update keeps a paused schedule paused: re-running `schedule rebalance` changes settings, not state. */
  paused: boolean;
}

/**
 * Creates the rebalance Schedule, or replaces the settings of the one that exists, so that
 * running it twice leaves one schedule with the latest settings.
 */
export async function upsertRebalanceSchedule(
  client: Client,
  settings: RebalanceScheduleSettings,
  scheduleId: string = REBALANCE_SCHEDULE_ID,
): Promise<UpsertedSchedule> {
  const request = checkedRequest(settings.request);
  const { everyMs } = settings;
  if (!(Number.isInteger(everyMs) && everyMs >= MIN_INTERVAL_MS && everyMs <= MAX_INTERVAL_MS)) {
    throw new UserError(`a schedule's interval is ${formatInterval(MIN_INTERVAL_MS)} to ${formatInterval(MAX_INTERVAL_MS)}, not ${everyMs} ms`);
  }
  const spec = { intervals: [{ every: everyMs }] };
  const action: ScheduleOptionsStartWorkflowAction<typeof rebalanceWorkflow> = {
    type: 'startWorkflow',
    workflowType: REBALANCE_WORKFLOW_TYPE,
    args: [request],
    // Temporal appends each run's scheduled time, so runs never collide with `godwit rebalance`'s.
    workflowId: REBALANCE_WORKFLOW_ID,
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    staticSummary: `scheduled rebalance every ${formatInterval(everyMs)}${request.dryRun ? ' (dry run)' : ''}`,
  };
  const policies = {
    // Never two runs planning over the same fleet at once.
    overlap: ScheduleOverlapPolicy.SKIP,
    // A run missed (server down) by more than one interval is superseded by the next one.
    catchupWindow: everyMs,
  };
  const result = (created: boolean, paused: boolean): UpsertedSchedule => ({ scheduleId, created, everyMs, dryRun: request.dryRun, paused });

  // Create first, update on conflict: no window in which a describe-then-create could race.
  for (let attempt = 0; ; attempt++) {
    try {
      await client.schedule.create<typeof rebalanceWorkflow>({ scheduleId, spec, action, policies });
      return result(true, false);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
    try {
      let paused = false;
      await client.schedule.getHandle(scheduleId).update<typeof rebalanceWorkflow>((previous) => {
        paused = previous.state.paused;
        return { spec, action, policies, state: { paused: previous.state.paused, note: previous.state.note } };
      });
      return result(false, paused);
    } catch (err) {
      // Deleted between create and update: create it after all, once.
      if (!(err instanceof ScheduleNotFoundError) || attempt > 0) throw err;
    }
  }
}

export function formatUpserted(s: UpsertedSchedule): string {
  const what = `${s.created ? 'created' : 'updated'} schedule ${s.scheduleId}: rebalance every ${formatInterval(s.everyMs)}${s.dryRun ? ', dry run (plans only, moves nothing)' : ''}`;
  return s.paused ? `${what}; still paused (godwit schedule unpause ${s.scheduleId} to resume)` : what;
}

export interface ScheduleRow {
  scheduleId: string;
  workflowType: string | null;
  /** "15m", or "calendar" for a schedule made elsewhere with calendar or cron specs. */
  every: string;
  paused: boolean;
  nextRun: Date | null;
  /** e.g. "completed: 2 moves planned, 2 migrated"; null before the first run. */
  lastRun: string | null;
}

function everyOf(description: ScheduleDescription): string {
  const intervals = description.spec.intervals ?? [];
  if (intervals.length > 0) return intervals.map((i) => formatInterval(i.every)).join(', ');
  return 'calendar';
}

/** How the schedule's latest run went: its status, and for a finished rebalance, its moves. */
async function lastRunOf(client: Client, description: ScheduleDescription): Promise<string | null> {
  const latest = description.info.recentActions.at(-1);
  if (latest === undefined) return null;
  const { workflowId, firstExecutionRunId } = latest.action.workflow;
  try {
    const handle = client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
    const status = (await handle.describe()).status.name.toLowerCase().replace(/_/g, ' ');
    if (status !== 'completed' || description.action.workflowType !== REBALANCE_WORKFLOW_TYPE) return `${status} (${workflowId})`;
    const report = RebalanceReport.safeParse(await handle.result());
    if (!report.success) return `completed (${workflowId})`;
    const { plan, moves, dryRun } = report.data;
    const migrated = moves.filter((m) => m.outcome === 'migrated').length;
    const planned = `${plan.moves.length} move${plan.moves.length === 1 ? '' : 's'} planned`;
    return dryRun ? `completed (dry run): ${planned}` : `completed: ${planned}, ${migrated} migrated`;
  } catch {
    // Past the namespace's retention, say: the schedule still remembers starting it.
    return `started ${workflowId} (no longer found)`;
  }
}

/** Every schedule in the namespace, as described now (the list itself can lag behind). */
export async function listSchedules(client: Client): Promise<ScheduleRow[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) ids.push(summary.scheduleId);
  const rows: ScheduleRow[] = [];
  for (const scheduleId of ids.sort()) {
    let description: ScheduleDescription;
    try {
      description = await client.schedule.getHandle(scheduleId).describe();
    } catch (err) {
      // Deleted since the (eventually consistent) list was read.
      if (err instanceof ScheduleNotFoundError) continue;
      throw err;
    }
    rows.push({
      scheduleId,
      workflowType: description.action.workflowType ?? null,
      every: everyOf(description),
      paused: description.state.paused,
      nextRun: description.state.paused ? null : (description.info.nextActionTimes[0] ?? null),
      lastRun: await lastRunOf(client, description),
    });
  }
  return rows;
}

const time = (d: Date | null): string => (d === null ? '-' : d.toISOString().replace(/\.\d{3}Z$/, 'Z'));

export function formatScheduleList(rows: readonly ScheduleRow[]): string {
  if (rows.length === 0) return 'no schedules; create one with "godwit schedule rebalance --every 15m"';
  const table = [
    ['ID', 'EVERY', 'STATE', 'NEXT RUN', 'LAST RUN'],
    ...rows.map((r) => [r.scheduleId, r.every, r.paused ? 'paused' : 'active', time(r.nextRun), r.lastRun ?? '-']),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

export async function describeSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<ScheduleDescription> {
  return onSchedule(client, scheduleId, (h) => h.describe());
}

export async function pauseSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<void> {
  await onSchedule(client, scheduleId, async (h) => h.pause(`paused by godwit schedule pause at ${new Date().toISOString()}`));
}

export async function unpauseSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<void> {
  await onSchedule(client, scheduleId, async (h) => h.unpause(`unpaused by godwit schedule unpause at ${new Date().toISOString()}`));
}

export async function deleteSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<void> {
  await onSchedule(client, scheduleId, (h) => h.delete());
}

export interface Triggered {
  scheduleId: string;
  /** A run of the schedule was already under way: with overlap SKIP, this trigger starts nothing. */
  runningAlready: string[];
  overlap: string;
}

/** One run now, under the schedule's own overlap policy (the SDK's default would allow any overlap). */
export async function triggerSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<Triggered> {
  return onSchedule(client, scheduleId, async (h) => {
    const { policies, info } = await h.describe();
    await h.trigger(policies.overlap);
    return { scheduleId, runningAlready: info.runningActions.map((a) => a.workflow.workflowId), overlap: policies.overlap ?? 'SKIP' };
  });
}

export function formatTriggered(t: Triggered): string {
  const line = `triggered schedule ${t.scheduleId}`;
  if (t.runningAlready.length === 0) return line;
  return `${line}, but ${t.runningAlready.join(', ')} is still running: with overlap policy ${t.overlap} the server may skip this run`;
}

/** What `godwit schedule ...` runs once the arguments are checked (and the policy file read). */
export type ScheduleAction =
  | { verb: 'rebalance'; settings: RebalanceScheduleSettings }
  | Exclude<ScheduleCommand, { verb: 'rebalance' }>;

/** Reads --policy FILE, so a bad file is reported before the CLI connects anywhere. */
export function scheduleActionOf(command: ScheduleCommand): ScheduleAction {
  if (command.verb !== 'rebalance') return command;
  return { verb: 'rebalance', settings: { everyMs: command.args.everyMs, request: rebalanceRequestFromArgs(command.args) } };
}

/** Runs a `godwit schedule ...` command; returns what to print. */
export async function runScheduleAction(client: Client, action: ScheduleAction): Promise<string> {
  switch (action.verb) {
    case 'rebalance':
      return formatUpserted(await upsertRebalanceSchedule(client, action.settings));
    case 'list':
      return formatScheduleList(await listSchedules(client));
    case 'pause':
      await pauseSchedule(client, action.scheduleId);
      return `paused schedule ${action.scheduleId}`;
    case 'unpause':
      await unpauseSchedule(client, action.scheduleId);
      return `unpaused schedule ${action.scheduleId}`;
    case 'delete':
      await deleteSchedule(client, action.scheduleId);
      return `deleted schedule ${action.scheduleId}`;
    case 'trigger':
      return formatTriggered(await triggerSchedule(client, action.scheduleId));
  }
}
