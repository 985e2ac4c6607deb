// What `godwit rebalance` and `godwit schedule ...` do once their arguments are checked:
// read the --policy file, then call the library (client/).
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { parseRebalancePolicy, type RebalancePolicy } from '../policy/rebalance';
import type { RebalanceReport, RebalanceRequest } from '../policy/rebalance-request';
import type { RebalanceScheduleSettings } from '../policy/schedules';
import {
  deleteSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
  upsertRebalanceSchedule,
} from '../client/schedules';
import { formatScheduleChanged, formatScheduleList, formatTriggered, formatUpserted } from '../client/format';
import { rebalanceRequestOf, type RebalanceArgs, type ScheduleCommand } from './rebalance-args';
import { UsageError } from './options';

/** The --policy file as the request's policy, or a UsageError that names the file. */
export function loadPolicyFile(file: string): RebalancePolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read policy file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`policy file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = parseRebalancePolicy(json);
  if (!parsed.ok) throw new UsageError(`policy file ${file}: ${parsed.error}`);
  return parsed.value;
}

/** Parsed flags to the workflow's request, reading --policy FILE if given. */
export function rebalanceRequestFromArgs(args: RebalanceArgs): RebalanceRequest {
  return rebalanceRequestOf(args, args.policyFile === null ? undefined : loadPolicyFile(args.policyFile));
}

/** 0 when every planned move (if any) migrated; 2 when some rolled back or did not start; 1 when one failed. */
export function rebalanceExitCode(report: RebalanceReport): number {
  if (report.moves.some((m) => m.outcome === 'failed')) return 1;
  return report.moves.every((m) => m.outcome === 'migrated') ? 0 : 2;
}

/** What `godwit schedule ...` runs once the arguments are checked (and the policy file read). */
export type ScheduleAction = { verb: 'rebalance'; settings: RebalanceScheduleSettings } | Exclude<ScheduleCommand, { verb: 'rebalance' }>;

/** Reads --policy FILE, so a bad file is reported before the CLI connects anywhere. */
export function scheduleActionOf(command: ScheduleCommand): ScheduleAction {
  if (command.verb !== 'rebalance') return command;
  return { verb: 'rebalance', settings: { everyMs: command.args.everyMs, request: rebalanceRequestFromArgs(command.args) } };
}

/** Runs a `godwit schedule ...` command: its answer as one JSON value and as text. */
export async function runScheduleAction(client: Client, action: ScheduleAction): Promise<{ json: object; text: string }> {
  switch (action.verb) {
    case 'rebalance': {
      const upserted = await upsertRebalanceSchedule(client, action.settings);
      return { json: upserted, text: formatUpserted(upserted) };
    }
    case 'list': {
      const schedules = await listSchedules(client);
      return { json: { schedules }, text: formatScheduleList(schedules) };
    }
    case 'pause':
    case 'unpause':
    case 'delete': {
      const change = { pause: pauseSchedule, unpause: unpauseSchedule, delete: deleteSchedule }[action.verb];
      const changed = await change(client, action.scheduleId);
      return { json: changed, text: formatScheduleChanged(changed) };
    }
    case 'trigger': {
      const triggered = await triggerSchedule(client, action.scheduleId);
      return { json: triggered, text: formatTriggered(triggered) };
    }
  }
}
