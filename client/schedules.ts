// Rebalance Schedules: Temporal Schedules that start a rebalancing run on an interval.
// Every function takes a Client, so tests can hand in their dev server's.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { ORCHESTRATOR_TASK_QUEUE, REBALANCE_SCHEDULE_ID, REBALANCE_WORKFLOW, REBALANCE_WORKFLOW_ID } from '../policy/names';
import { RebalanceReport } from '../policy/rebalance-request';
import { describeZodError } from '../policy/request';
import {
  RebalanceScheduleSettings,
  formatInterval,
  type RebalanceScheduleSettingsInput,
  type ScheduleChanged,
  type ScheduleRow,
  type Triggered,
  type UpsertedSchedule,
} from '../policy/schedules';
import type { rebalanceWorkflow } from '../workflows/rebalance';
import { InvalidRequestError, NotFoundError } from './errors';

/** Runs `fn` on the schedule's handle; a missing schedule becomes NotFoundError naming it. */
async function onSchedule<T>(client: Client, scheduleId: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new NotFoundError(`no schedule "${scheduleId}"`);
    throw err;
  }
}

/**
 * Creates the rebalance Schedule, or replaces the settings of the one that exists, so that
 * running it twice leaves one schedule with the latest settings.
 */
export async function upsertRebalanceSchedule(
  client: Client,
  settings: RebalanceScheduleSettingsInput,
  scheduleId: string = REBALANCE_SCHEDULE_ID,
): Promise<UpsertedSchedule> {
  const parsed = RebalanceScheduleSettings.safeParse(settings);
  if (!parsed.success) throw new InvalidRequestError(`invalid schedule settings: ${describeZodError(parsed.error)}`);
  const { everyMs, request } = parsed.data;
  const spec = { intervals: [{ every: everyMs }] };
  const action: ScheduleOptionsStartWorkflowAction<typeof rebalanceWorkflow> = {
    type: 'startWorkflow',
    workflowType: REBALANCE_WORKFLOW,
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
    if (status !== 'completed' || description.action.workflowType !== REBALANCE_WORKFLOW) return `${status} (${workflowId})`;
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
    const next = description.state.paused ? undefined : description.info.nextActionTimes[0];
    rows.push({
      scheduleId,
      workflowType: description.action.workflowType ?? null,
      every: everyOf(description),
      paused: description.state.paused,
      nextRun: next ? next.toISOString() : null,
      lastRun: await lastRunOf(client, description),
    });
  }
  return rows;
}

export async function describeSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<ScheduleDescription> {
  return onSchedule(client, scheduleId, (h) => h.describe());
}

export async function pauseSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<ScheduleChanged> {
  await onSchedule(client, scheduleId, (h) => h.pause(`paused by godwit at ${new Date().toISOString()}`));
  return { scheduleId, action: 'paused' };
}

export async function unpauseSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<ScheduleChanged> {
  await onSchedule(client, scheduleId, (h) => h.unpause(`unpaused by godwit at ${new Date().toISOString()}`));
  return { scheduleId, action: 'unpaused' };
}

export async function deleteSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<ScheduleChanged> {
  await onSchedule(client, scheduleId, (h) => h.delete());
  return { scheduleId, action: 'deleted' };
}

/** One run now, under the schedule's own overlap policy (the SDK's default would allow any overlap). */
export async function triggerSchedule(client: Client, scheduleId: string = REBALANCE_SCHEDULE_ID): Promise<Triggered> {
  return onSchedule(client, scheduleId, async (h) => {
    const { policies, info } = await h.describe();
    await h.trigger(policies.overlap);
    return { scheduleId, runningAlready: info.runningActions.map((a) => a.workflow.workflowId), overlap: policies.overlap ?? 'SKIP' };
  });
}
