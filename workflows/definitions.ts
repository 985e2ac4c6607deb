// Messages a migration answers. Clients import these to query and update it.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Progress } from '../policy/report';
import type { AbortAccepted } from '../policy/client-types';
import { ABORT_UPDATE, PROGRESS_QUERY } from '../policy/names';

export const progressQuery = defineQuery<Progress>(PROGRESS_QUERY);

/** Stop the migration and roll back to the source. Refused once commit has begun; answers the phase it arrived in. */
export const abortUpdate = defineUpdate<AbortAccepted, [reason: string]>(ABORT_UPDATE);
