// Every activity a host serves, bound to one host: each side's steps over one shared context
// (activities/host/). Each step first looks at the host's real state and continues from
// there, so a retry after a crash is safe.
import type { HostActivities } from '../policy/host-contract';
import type { HostConfig } from '../policy/inventory';
import type { HostRuntime } from '../runtime/host-runtime';
import { createHostContext, type HostActivityOptions } from './host/context';
import { sourceSteps } from './host/source-steps';
import { targetSteps } from './host/target-steps';
import { undoSteps } from './host/undo-steps';
import { utilisationSteps } from './host/utilisation';

export type { HostActivityOptions };

export function createHostActivities(rt: HostRuntime, host: HostConfig, options: HostActivityOptions = {}): HostActivities {
  const ctx = createHostContext(rt, host, options);
  return { ...sourceSteps(ctx), ...targetSteps(ctx), ...undoSteps(ctx), ...utilisationSteps(ctx) };
}
