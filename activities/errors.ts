import { ApplicationFailure } from '@temporalio/activity';
import type { NonRetryableError } from '../policy/host-contract';

/** The host is not in a state the migration can start from: retrying will not help. */
export function preconditionFailed(message: string): ApplicationFailure {
  const type: NonRetryableError = 'PreconditionFailed';
  return ApplicationFailure.nonRetryable(message, type);
}

/** A step's input does not parse: the workflow sent something no attempt can act on. */
export function invalidInput(message: string): ApplicationFailure {
  const type: NonRetryableError = 'InvalidInput';
  return ApplicationFailure.nonRetryable(message, type);
}
