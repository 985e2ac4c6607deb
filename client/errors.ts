// The errors a caller of the library must be able to tell apart. Each has a stable `kind`,
// so code in a pipeline (and the CLI's --json output) can branch on it without instanceof.
import type { MigrationReport } from '../policy/report';

export type GodwitErrorKind =
  | 'invalid-request'
  | 'preflight-refused'
  | 'already-running'
  | 'rollback-failed'
  | 'not-connected'
  | 'not-found'
  | 'abort-refused'
  | 'failed';

export class GodwitError extends Error {
  constructor(
    readonly kind: GodwitErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request was refused as it stands (bad field, unknown host): nothing changed. */
export class InvalidRequestError extends GodwitError {
  constructor(message: string) {
    super('invalid-request', message);
  }
}

/** A host's preflight said no (CRIU missing, no room, name taken on the target): nothing changed. */
export class PreflightRefusedError extends GodwitError {
  constructor(
    readonly reason: string,
    readonly workflowId: string,
  ) {
    super('preflight-refused', reason);
  }
}

/** The container (or the fleet, for a rebalance) is already being moved by `workflowId`. */
export class AlreadyRunningError extends GodwitError {
  constructor(
    readonly workflowId: string,
    message: string,
  ) {
    super('already-running', message);
  }
}

/** The migration failed and could not roll back: a person must look; the report says where things stand. */
export class RollbackFailedError extends GodwitError {
  constructor(readonly report: MigrationReport) {
    super('rollback-failed', report.reason ? `migration failed and could not roll back: ${report.reason}` : 'migration failed and could not roll back');
  }
}

/** No Temporal frontend answered at `address`. */
export class NotConnectedError extends GodwitError {
  constructor(
    readonly address: string,
    cause: unknown,
  ) {
    super('not-connected', `cannot reach Temporal at ${address}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** No such migration or schedule. */
export class NotFoundError extends GodwitError {
  constructor(message: string) {
    super('not-found', message);
  }
}

/** The migration refused the abort (too late, already aborting, not running). */
export class AbortRefusedError extends GodwitError {
  constructor(message: string) {
    super('abort-refused', message);
  }
}

/** A run ended in a way Godwit did not report on (terminated, timed out, a workflow bug). */
export class WorkflowEndedError extends GodwitError {
  constructor(
    readonly workflowId: string,
    message: string,
  ) {
    super('failed', message);
  }
}
