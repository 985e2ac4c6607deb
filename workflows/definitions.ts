// Messages a migration answers. Clients import these to query and update it.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Progress } from '../policy/report';
import type { Phase } from '../policy/phases';
import { ABORT_UPDATE, PROGRESS_QUERY } from '../policy/names';

export const progressQuery = defineQuery<Progress>(PROGRESS_QUERY);

export interface AbortAccepted {
  /** The phase the migration was in when the abort arrived; rollback starts from there. */
  phase: Phase;
}

/** Stop the migration and roll back to the source. Refused once commit has begun. */
export const abortUpdate = defineUpdate<AbortAccepted, [reason: string]>(ABORT_UPDATE);
