import { z } from 'zod';

/** The pipeline's steps, in order. `rollback` and the terminal states follow any of them. */
export const Phase = z.enum([
  'starting',
  'preflight',
  /** Waiting for one of the source host's outbound slots. */
  'queued',
  'prepare',
  'precopy',
  'checkpoint',
  'transfer',
  'restore',
  'verify',
  'commit',
  'rollback',
  'done',
]);
export type Phase = z.infer<typeof Phase>;

/** Phases after which the source is gone: abort and rollback are no longer possible. */
export function isPastPointOfNoReturn(phase: Phase): boolean {
  return phase === 'commit' || phase === 'done';
}
