/** Error types the workflow never retries: the state of the world, not a glitch. */
export const NON_RETRYABLE_ERRORS = ['PreconditionFailed', 'InvalidInput', 'HostKeyRejected'] as const;
export type NonRetryableError = (typeof NON_RETRYABLE_ERRORS)[number];
