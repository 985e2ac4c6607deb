// The compensations: each is idempotent and safe to run whatever state the host is in.
import { z } from 'zod';
import type { RunRef } from './refs';

export const ResumeResult = z.object({
  /** What was done to bring the source back. */
  action: z.enum(['resumed', 'already-running', 'restored-from-images']),
});
export type ResumeResult = z.infer<typeof ResumeResult>;

export interface UndoActivities {
  /** Target: stop the copy this run restored (and only that). */
  stopTargetContainer(input: RunRef): Promise<void>;
  /** Source: bring the original back, whatever the failed migration left of it. */
  resumeSource(input: RunRef): Promise<ResumeResult>;
  /** Target: remove everything this run put there (servers, bundle, images). */
  cleanupTarget(input: RunRef): Promise<void>;
}
