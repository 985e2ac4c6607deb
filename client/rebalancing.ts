// Rebalancing from users' own code: one run now. Schedules that start runs on an interval
// are in schedules.ts.
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ORCHESTRATOR_TASK_QUEUE, REBALANCE_WORKFLOW, REBALANCE_WORKFLOW_ID } from '../policy/names';
import { RebalanceReport, parseRebalanceRequest, type RebalanceRequest, type RebalanceRequestInput } from '../policy/rebalance-request';
import type { rebalanceWorkflow } from '../workflows/rebalance';
import { AlreadyRunningError, InvalidRequestError, PreflightRefusedError, WorkflowEndedError } from './errors';
import { ApplicationFailure } from '@temporalio/common';

export type RebalanceHandle = WorkflowHandle<typeof rebalanceWorkflow>;

/** The request with its defaults filled in; InvalidRequestError when it is not one. */
export function checkedRebalanceRequest(input: RebalanceRequestInput): RebalanceRequest {
  // Checked here too, so a bad request never reaches the server whoever the caller is.
  const parsed = parseRebalanceRequest(input);
  if (!parsed.ok) throw new InvalidRequestError(parsed.error);
  return parsed.value;
}

/** Starts a rebalancing run; AlreadyRunningError while another operator-started run goes on. */
export async function startRebalance(client: Client, input: RebalanceRequestInput = {}): Promise<RebalanceHandle> {
  const request = checkedRebalanceRequest(input);
  try {
    return await client.workflow.start<typeof rebalanceWorkflow>(REBALANCE_WORKFLOW, {
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
      throw new AlreadyRunningError(REBALANCE_WORKFLOW_ID, `a rebalance is already running (workflow ${REBALANCE_WORKFLOW_ID})`);
    }
    throw err;
  }
}

/** The run's report. A run refused beside another rebalance is PreflightRefusedError. */
export async function rebalanceResult(handle: RebalanceHandle): Promise<RebalanceReport> {
  try {
    return RebalanceReport.parse(await handle.result());
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.type === 'InvalidInput') throw new InvalidRequestError(cause.message);
    if (cause instanceof ApplicationFailure && cause.type === 'PreconditionFailed') throw new PreflightRefusedError(cause.message, handle.workflowId);
    throw new WorkflowEndedError(handle.workflowId, `rebalance ${handle.workflowId} failed: ${cause?.message ?? err.message}`);
  }
}

/** Starts a run and waits for its report. */
export async function runRebalance(client: Client, input: RebalanceRequestInput = {}): Promise<RebalanceReport> {
  return rebalanceResult(await startRebalance(client, input));
}
