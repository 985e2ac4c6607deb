// The compensations: each is idempotent and safe to run whatever state the host is in.
import { z } from 'zod';
import type { RunRef } from './refs';

/** Where a host kept a run's logs (CRIU's, runc's), and which, relative to that directory. */
export const KeptLogs = z.object({ path: z.string(), files: z.array(z.string()) });
export type KeptLogs = z.infer<typeof KeptLogs>;

/**
 * What an undo step that ends a run's work directory kept of it. Absent when there were no
 * logs, when keeping them failed (best effort), and from workers older than this field.
 */
export const KeptDiagnostics = z.object({ diagnostics: KeptLogs.optional() });
export type KeptDiagnostics = z.infer<typeof KeptDiagnostics>;

export const ResumeResult = KeptDiagnostics.extend({
  /** What was done to bring the source back. */
  action: z.enum(['resumed', 'already-running', 'restored-from-images']),
});
export type ResumeResult = z.infer<typeof ResumeResult>;

export interface UndoActivities {
  /** Target: stop the copy this run restored (and only that). */
  stopTargetContainer(input: RunRef): Promise<void>;
  /** Source: bring the original back, whatever the failed migration left of it; keeps the run's logs. */
  resumeSource(input: RunRef): Promise<ResumeResult>;
  /** Target: remove everything this run put there (servers, bundle, images); keeps the run's logs. */
  cleanupTarget(input: RunRef): Promise<KeptDiagnostics>;
  /**
   * Either host: keep the run's logs where resumeSource or cleanupTarget did not get to (a
   * failed rollback). Moves the logs only: the rest of the work directory stays for a person.
   */
  keepDiagnostics(input: RunRef): Promise<KeptDiagnostics>;
}
