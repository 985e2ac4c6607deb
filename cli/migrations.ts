// Starting, following, querying and aborting migrations: what the CLI, the demo and the
// end-to-end tests all do through the Temporal client.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ORCHESTRATOR_TASK_QUEUE, migrationWorkflowId } from '../policy/names';
import { MigrationReport, type Progress } from '../policy/report';
import { parseMigrationRequest, type MigrationRequestInput } from '../policy/request';
import { abortUpdate, progressQuery, type AbortAccepted } from '../workflows/definitions';
import type { migrationWorkflow } from '../workflows/migration';

export class UserError extends Error {}

export async function startMigration(
  client: Client,
  input: MigrationRequestInput,
  /** Only for very slow workers (an emulated VM): the default 10 s per workflow task is plenty elsewhere. */
  tuning: { workflowTaskTimeout?: number } = {},
): Promise<WorkflowHandle<typeof migrationWorkflow>> {
  // Checked here too, so a bad request never reaches the server.
  const parsed = parseMigrationRequest(input);
  if (!parsed.ok) throw new UserError(parsed.error);
  const request = parsed.value;
  const workflowId = migrationWorkflowId(request.container);
  try {
    return await client.workflow.start<typeof migrationWorkflow>('migrationWorkflow', {
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowId,
      args: [request],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // The line the UI's list shows (a start from the UI's form has its own summary field).
      staticSummary: `migrate ${request.container}: ${request.source} → ${request.target} (${request.strategy})`,
      ...(tuning.workflowTaskTimeout ? { workflowTaskTimeout: tuning.workflowTaskTimeout } : {}), // milliseconds
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new UserError(`a migration of ${request.container} is already running (workflow ${workflowId}); see "godwit status ${request.container}"`);
    }
    throw err;
  }
}

/** Waits for the result, calling `onProgress` whenever the phase changes. */
export async function followMigration(
  handle: WorkflowHandle<typeof migrationWorkflow>,
  onProgress?: (p: Progress) => void,
): Promise<MigrationReport> {
  let done = false;
  const watcher = (async () => {
    let last = '';
    while (!done) {
      try {
        const progress = await handle.query(progressQuery);
        const key = `${progress.phase}:${progress.aborting}`;
        if (key !== last) onProgress?.(progress);
        last = key;
      } catch {
        // The workflow may not have started its first task yet, or has just finished.
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  try {
    return await resultOf(handle);
  } finally {
    done = true;
    await watcher;
  }
}

/** The report, also when the workflow failed with one attached (a failed rollback). */
export async function resultOf(handle: WorkflowHandle<typeof migrationWorkflow>): Promise<MigrationReport> {
  try {
    return MigrationReport.parse(await handle.result());
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
      const attached = MigrationReport.safeParse(err.cause.details?.[0]);
      if (attached.success) return attached.data;
      throw new UserError(err.cause.message);
    }
    throw err;
  }
}

export function migrationHandle(client: Client, container: string): WorkflowHandle<typeof migrationWorkflow> {
  return client.workflow.getHandle<typeof migrationWorkflow>(migrationWorkflowId(container));
}

export async function abortMigration(client: Client, container: string, reason?: string): Promise<AbortAccepted> {
  try {
    return await migrationHandle(client, container).executeUpdate(abortUpdate, { args: [reason ?? 'aborted by operator'] });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new UserError(`cannot abort the migration of ${container}: ${cause instanceof Error ? cause.message : (err as Error).message}`);
  }
}

export interface MigrationSummary {
  workflowId: string;
  status: string;
  startTime: string;
  closeTime: string | null;
}

export async function listMigrations(client: Client, limit = 20): Promise<MigrationSummary[]> {
  const out: MigrationSummary[] = [];
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'migrationWorkflow'" })) {
    out.push({ workflowId: wf.workflowId, status: wf.status.name, startTime: wf.startTime.toISOString(), closeTime: wf.closeTime?.toISOString() ?? null });
    if (out.length >= limit) break;
  }
  return out;
}
