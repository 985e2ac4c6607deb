// Migrations from users' own code: start one, run it to its report, watch its progress,
// ask where it stands, abort it, list past ones. Every function takes a Temporal Client
// (see connect.ts), so a caller with its own connection can use it as it is.
import {
  ServiceError,
  isGrpcServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MIGRATION_WORKFLOW, ORCHESTRATOR_TASK_QUEUE, migrationWorkflowId } from '../policy/names';
import { MigrationReport, type Progress } from '../policy/report';
import { parseMigrationRequest, type MigrationRequestInput } from '../policy/request';
import {
  AbortAccepted,
  ListMigrationsOptions,
  type MigrationStatus,
  type MigrationSummary,
} from '../policy/client-types';
import { SEARCH_ATTRIBUTES } from '../policy/search-attributes';
import { abortUpdate, progressQuery } from '../workflows/definitions';
import type { migrationWorkflow } from '../workflows/migration';
import {
  AbortRefusedError,
  AlreadyRunningError,
  InvalidRequestError,
  NotFoundError,
  PreflightRefusedError,
  RollbackFailedError,
  WorkflowEndedError,
} from './errors';

/** gRPC's status code for a malformed request (here: a visibility query). */
const GRPC_INVALID_ARGUMENT = 3;

export type MigrationHandle = WorkflowHandle<typeof migrationWorkflow>;

export interface StartTuning {
  /** Only for very slow workers (an emulated VM): the default 10 s per workflow task is plenty elsewhere. */
  workflowTaskTimeoutMs?: number;
}

/** The handle of the container's migration (the one running, or the latest). */
export function migrationHandle(client: Client, container: string): MigrationHandle {
  return client.workflow.getHandle<typeof migrationWorkflow>(migrationWorkflowId(container));
}

/**
 * Starts a migration and returns its handle at once. The request is checked here, so a bad
 * one never reaches the server (InvalidRequestError); a container already being moved is
 * AlreadyRunningError, naming the workflow that moves it.
 */
export async function startMigration(client: Client, request: MigrationRequestInput, tuning: StartTuning = {}): Promise<MigrationHandle> {
  const parsed = parseMigrationRequest(request);
  if (!parsed.ok) throw new InvalidRequestError(parsed.error);
  const checked = parsed.value;
  const workflowId = migrationWorkflowId(checked.container);
  try {
    return await client.workflow.start<typeof migrationWorkflow>(MIGRATION_WORKFLOW, {
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowId,
      args: [checked],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // The line the UI's list shows (a start from the UI's form has its own summary field).
      staticSummary: `migrate ${checked.container}: ${checked.source} → ${checked.target} (${checked.strategy})`,
      ...(tuning.workflowTaskTimeoutMs ? { workflowTaskTimeout: tuning.workflowTaskTimeoutMs } : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new AlreadyRunningError(workflowId, `a migration of ${checked.container} is already running (workflow ${workflowId})`);
    }
    throw err;
  }
}

/** The failure a closed migration ended with, as one of the library's errors. */
function endedWith(workflowId: string, err: unknown): Error {
  if (!(err instanceof WorkflowFailedError)) return err instanceof Error ? err : new Error(String(err));
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    if (cause.type === 'RollbackFailed') {
      const report = MigrationReport.safeParse(cause.details?.[0]);
      if (report.success) return new RollbackFailedError(report.data);
    }
    if (cause.type === 'InvalidInput') return new InvalidRequestError(cause.message);
    if (cause.type === 'PreconditionFailed') return new PreflightRefusedError(cause.message, workflowId);
  }
  return new WorkflowEndedError(workflowId, `migration ${workflowId} ended without a report: ${cause?.message ?? err.message}`);
}

/**
 * Waits for the migration's report. `migrated` and `rolled-back` are reports; a refusal is
 * InvalidRequestError or PreflightRefusedError (nothing changed); a failed rollback is
 * RollbackFailedError with the report attached.
 */
export async function resultOf(handle: MigrationHandle): Promise<MigrationReport> {
  try {
    return MigrationReport.parse(await handle.result());
  } catch (err) {
    throw endedWith(handle.workflowId, err);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The migration's progress as it changes (a new phase, a pre-copy round, an abort), until it
 * ends. Polls the progress query, `intervalMs` apart; a phase shorter than that may pass
 * unseen (the report lists every phase).
 */
export async function* watchMigration(
  handle: MigrationHandle,
  options: { intervalMs?: number; /** Settles when the run has ended; by default, its result. */ ended?: Promise<unknown> } = {},
): AsyncGenerator<Progress> {
  let closed = false;
  const ended = (options.ended ?? handle.result()).then(
    () => (closed = true),
    () => (closed = true),
  );
  let last = '';
  try {
    while (!closed) {
      try {
        const progress = await handle.query(progressQuery);
        const key = `${progress.phase}:${progress.aborting}:${progress.rounds.length}`;
        if (key !== last) {
          last = key;
          yield progress;
        }
      } catch {
        // Not started its first task yet, or just finished: the next turn tells.
      }
      await Promise.race([ended, sleep(options.intervalMs ?? 300)]);
    }
  } finally {
    closed = true;
  }
}

export interface FollowOptions {
  /** Called with each change of progress. */
  onProgress?: (progress: Progress) => void;
  /** Aborting it aborts the migration (it rolls back); the report then says `rolled-back`. */
  signal?: AbortSignal;
}

/** Waits for a started migration's report, reporting progress and honouring `signal`. */
export async function followMigration(handle: MigrationHandle, options: FollowOptions = {}): Promise<MigrationReport> {
  const { onProgress, signal } = options;
  const onAbort = () => {
    // Too late (committing) or already aborting: the report says how it ended.
    abortUpdateOf(handle, signalReason(signal)).catch(() => undefined);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  // One wait for the result serves both the report and the watcher's end.
  const report = resultOf(handle);
  const watching = (async () => {
    if (!onProgress) return;
    for await (const progress of watchMigration(handle, { ended: report })) onProgress(progress);
  })();
  try {
    return await report;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await watching.catch(() => undefined);
  }
}

function signalReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? reason.message : typeof reason === 'string' ? reason : 'aborted by the caller';
}

/** Starts a migration and waits for its report: `startMigration` then `followMigration`. */
export async function runMigration(client: Client, request: MigrationRequestInput, options: FollowOptions = {}): Promise<MigrationReport> {
  return followMigration(await startMigration(client, request), options);
}

async function abortUpdateOf(handle: MigrationHandle, reason: string): Promise<AbortAccepted> {
  return AbortAccepted.parse(await handle.executeUpdate(abortUpdate, { args: [reason] }));
}

/**
 * Asks the container's running migration to stop and roll back to the source. Refused
 * (AbortRefusedError) once commit has begun, while it already aborts, or once it has ended;
 * NotFoundError when there never was a migration of the container.
 */
export async function abortMigration(client: Client, container: string, reason = 'aborted by operator'): Promise<AbortAccepted> {
  const handle = migrationHandle(client, container);
  try {
    return await abortUpdateOf(handle, reason);
  } catch (err) {
    // The workflow's validator said no (too late, already aborting).
    if (err instanceof WorkflowUpdateFailedError) {
      throw new AbortRefusedError(`cannot abort the migration of ${container}: ${err.cause?.message ?? err.message}`);
    }
    // A closed workflow answers an update as if it were not there: tell the two apart.
    const status = await handle.describe().then(
      (d) => d.status.name,
      (e: unknown) => (e instanceof WorkflowNotFoundError ? null : undefined),
    );
    if (status === null) throw new NotFoundError(`no migration of ${container} found`);
    if (status !== undefined && status !== 'RUNNING') throw new AbortRefusedError(`cannot abort the migration of ${container}: it has ended (${status.toLowerCase()})`);
    throw err;
  }
}

/** Where the container's latest migration stands. */
export async function migrationStatus(client: Client, container: string): Promise<MigrationStatus> {
  const handle = migrationHandle(client, container);
  const { workflowId } = handle;
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError(`no migration of ${container} found`);
    throw err;
  }
  if (status === 'RUNNING') return { state: 'running', workflowId, progress: await handle.query(progressQuery) };
  try {
    return { state: 'finished', workflowId, report: await resultOf(handle) };
  } catch (err) {
    if (err instanceof RollbackFailedError) return { state: 'finished', workflowId, report: err.report };
    if (err instanceof InvalidRequestError || err instanceof PreflightRefusedError) return { state: 'refused', workflowId, reason: err.message };
    return { state: 'ended', workflowId, status, reason: err instanceof Error ? err.message : null };
  }
}


/**
 * Migrations, newest first, optionally filtered by a visibility query over Godwit's search
 * attributes, e.g. `{ query: "GodwitSource = 'alpha' AND GodwitOutcome = 'rolled-back'" }`.
 */
export async function listMigrations(client: Client, options: ListMigrationsOptions = {}): Promise<MigrationSummary[]> {
  const parsed = ListMigrationsOptions.safeParse(options);
  if (!parsed.success) throw new InvalidRequestError(`invalid list options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const { query, limit } = parsed.data;
  const byType = `WorkflowType = '${MIGRATION_WORKFLOW}'`;
  const out: MigrationSummary[] = [];
  try {
    for await (const wf of client.workflow.list({ query: query ? `${byType} AND (${query})` : byType })) {
      const attribute = (key: keyof typeof SEARCH_ATTRIBUTES) => wf.typedSearchAttributes.get(SEARCH_ATTRIBUTES[key]) ?? null;
      out.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        status: wf.status.name,
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString() ?? null,
        container: attribute('container'),
        source: attribute('source'),
        target: attribute('target'),
        phase: attribute('phase'),
        strategy: attribute('strategy'),
        outcome: attribute('outcome'),
      });
      if (out.length >= limit) break;
    }
  } catch (err) {
    // The server refuses a query it cannot parse (gRPC INVALID_ARGUMENT), in its own words.
    const grpc = err instanceof ServiceError ? err.cause : err;
    if (query && isGrpcServiceError(grpc) && (grpc.code as number) === GRPC_INVALID_ARGUMENT) {
      throw new InvalidRequestError(`invalid query ${JSON.stringify(query)}: ${grpc.details || grpc.message}`);
    }
    throw err;
  }
  return out;
}
