// The RebalanceWorkflow: ask every host for its load, plan moves from over- to under-used
// hosts (policy/rebalance.ts), and run them as child MigrationWorkflows, a few at a time.
// Started by `godwit rebalance`, by a Temporal Schedule, or from the UI with a JSON object.
import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { migrationWorkflowId, ORCHESTRATOR_TASK_QUEUE } from '../policy/names';
import { planRebalance, type PlannedMove } from '../policy/rebalance';
import { parseRebalanceRequest, type MoveResult, type RebalanceReport, type RebalanceRequestInput } from '../policy/rebalance-request';
import { fleet, hostStubs } from './hosts';
import { describeFailure } from './failures';
import { onHost } from './context';
import { migrationWorkflow } from './migration';

export async function rebalanceWorkflow(input?: RebalanceRequestInput): Promise<RebalanceReport> {
  const parsed = parseRebalanceRequest(input);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidInput');
  const request = parsed.value;
  const startedAt = new Date().toISOString();
  // Scheduled runs never overlap (policy SKIP), but `godwit rebalance` could start beside one:
  // two planners over one fleet would each move containers the other already moved.
  const { workflowIds: others } = await fleet.otherRebalances({ self: workflowInfo().workflowId });
  if (others.length > 0) throw ApplicationFailure.nonRetryable(`another rebalance is running (${others.join(', ')}); this one moved nothing`, 'PreconditionFailed');

  const { hosts } = await fleet.listHosts();
  // A host that cannot say is left out of the plan, with the reason in its summary.
  const answers = await Promise.all(
    hosts.map(async (h) => {
      const stubs = hostStubs(h, request.hostTimeoutSeconds);
      return onHost(stubs, 'utilisation', () => stubs.quick.utilisation()).catch((err: unknown) => describeFailure(err));
    }),
  );
  const usage = answers.flatMap((a) => (typeof a === 'string' ? [] : [a]));
  const unanswered = answers.filter((a) => typeof a === 'string');
  const recent = await fleet.recentMigrations({ seconds: request.policy.cooldownSeconds });
  const plan = planRebalance(usage, request.policy, recent, Date.now());
  if (unanswered.length > 0) plan.summary += ` Left out: ${unanswered.join('; ')}.`;

  const moves = request.dryRun ? [] : await runMoves(plan.moves, request.maxConcurrentMoves, request.strategy);
  return { dryRun: request.dryRun, plan, moves, startedAt, finishedAt: new Date().toISOString() };
}

/** Runs the moves as child migrations, at most `window` at once, in the plan's order. */
async function runMoves(planned: PlannedMove[], window: number, strategy: RebalanceRequestInput['strategy']): Promise<MoveResult[]> {
  // Indexed by plan position, so results come back in the plan's order whatever order they finish in.
  const results = new Map<number, MoveResult>();
  let next = 0;
  const lane = async () => {
    while (next < planned.length) {
      const i = next++;
      results.set(i, await runMove(planned[i], strategy));
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, planned.length) }, lane));
  return planned.flatMap((_, i) => results.get(i) ?? []);
}

async function runMove(move: PlannedMove, strategy: RebalanceRequestInput['strategy']): Promise<MoveResult> {
  const workflowId = migrationWorkflowId(move.container);
  const base = { container: move.container, source: move.source, target: move.target, workflowId };
  let child;
  try {
    child = await startChild(migrationWorkflow, {
      workflowId,
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      args: [{ container: move.container, source: move.source, target: move.target, strategy }],
      // A migration under way finishes even if this run is cancelled or ends.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `rebalance ${move.container}: ${move.source} → ${move.target} (started by ${workflowInfo().workflowId})`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { ...base, outcome: 'not-started', reason: 'another migration of this container is running' };
    throw err;
  }
  try {
    const report = await child.result();
    return { ...base, outcome: report.outcome, reason: report.reason };
  } catch (err) {
    return { ...base, outcome: 'failed', reason: describeFailure(err) };
  }
}
