// Turning Temporal's failure chain into one sentence a person can act on.
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';

/** A failure annotated with the host (or front) whose step failed. */
export class StepFailure extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly failure: unknown,
    /** What `host` names: a host, or the front its clients come through. */
    readonly kind: 'host' | 'front' = 'host',
  ) {
    super(`${step} on ${kind} ${host} failed`);
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
    const who = `${err.kind} ${err.host}`;
    if (cause instanceof ActivityFailure && cause.cause instanceof TimeoutFailure) {
      const timeout = cause.cause.timeoutType;
      if (timeout === 'SCHEDULE_TO_START') return `${who} is not responding (no worker took ${err.step})`;
      if (timeout === 'HEARTBEAT') return `${who} stopped responding during ${err.step}`;
      return `${err.step} on ${who} timed out`;
    }
    if (cause instanceof ActivityFailure && cause.cause instanceof CancelledFailure) return `${err.step} on ${who} was cancelled`;
    return `${err.step} on ${who} failed: ${innermostMessage(cause)}`;
  }
  if (err instanceof CancelledFailure) return 'cancelled';
  return innermostMessage(err);
}
