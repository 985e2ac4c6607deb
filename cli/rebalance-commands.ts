// `godwit rebalance` and `godwit schedule ...`.
import { runRebalance } from '../client/rebalancing';
import { formatRebalanceReport } from '../client/format';
import type { RebalanceReport } from '../policy/rebalance-request';
import { parseRebalanceArgs, parseScheduleArgs } from './rebalance-args';
import { rebalanceExitCode, rebalanceRequestFromArgs, runScheduleAction, scheduleActionOf } from './rebalancing';
import { answer, type Answer } from './output';
import type { CommandContext } from './migration-commands';

export function rebalanceAnswer(report: RebalanceReport): Answer {
  return answer(report, formatRebalanceReport(report), rebalanceExitCode(report));
}

export async function rebalance(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  // Flags and any --policy file are checked before connecting.
  const request = rebalanceRequestFromArgs(parseRebalanceArgs([...args]));
  ctx.say(request.dryRun ? 'planning a rebalance (dry run)' : 'rebalancing; waiting for the report');
  return rebalanceAnswer(await runRebalance(await ctx.client(), request));
}

export async function schedule(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const action = scheduleActionOf(parseScheduleArgs([...args]));
  const { json, text } = await runScheduleAction(await ctx.client(), action);
  return answer(json, text);
}
