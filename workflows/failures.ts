// Turning Temporal's failure chain into one sentence a person can act on.
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';

/** A failure annotated with the host whose step failed. */
export class StepFailure extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly failure: unknown,
  ) {
    super(`${step} on host ${host} failed`);
    this.name = 'StepFailure';
  }
}

function innermostMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof ApplicationFailure) return current.message;
  if (current instanceof Error) return current.message;
  return String(current);
}

export function describeFailure(err: unknown): string {
  if (err instanceof StepFailure) {
    const cause = err.failure;
    if (cause instanceof ActivityFailure && cause.cause instanceof TimeoutFailure) {
      const timeout = cause.cause.timeoutType;
      if (timeout === 'SCHEDULE_TO_START') return `host ${err.host} is not responding (no worker took ${err.step})`;
      if (timeout === 'HEARTBEAT') return `host ${err.host} stopped responding during ${err.step}`;
      return `${err.step} on host ${err.host} timed out`;
    }
    if (cause instanceof ActivityFailure && cause.cause instanceof CancelledFailure) return `${err.step} on host ${err.host} was cancelled`;
    return `${err.step} on host ${err.host} failed: ${innermostMessage(cause)}`;
  }
  if (err instanceof CancelledFailure) return 'cancelled';
  return innermostMessage(err);
}
