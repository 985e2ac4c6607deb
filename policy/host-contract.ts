// What a host can be asked to do. Workflows call these through per-host task queues; the
// activities in activities/ implement them. Inputs and results are small and carry no
// secrets: they are kept in workflow history and shown in the UI. Each side's steps and
// their results' schemas are in host-contract/; this file gathers them.
import type { SourceActivities } from './host-contract/source';
import type { TargetActivities } from './host-contract/target';
import type { UndoActivities } from './host-contract/undo';
import type { UtilisationActivities } from './host-contract/utilisation';

export * from './host-contract/refs';
export * from './host-contract/facts';
export * from './host-contract/source';
export * from './host-contract/target';
export * from './host-contract/undo';
export * from './host-contract/utilisation';
export * from './host-contract/fleet';
export * from './host-contract/errors';

/** Every step a host serves: one worker per host registers them all on its queue. */
export type HostActivities = SourceActivities & TargetActivities & UndoActivities & UtilisationActivities;
