// Every activity a front serves, bound to one front (its file) over the runtime of the host
// HAProxy runs on. Each step reads the backend's state first and continues from there, so a
// retry after a crash is safe.
import type { FrontActivities } from '../policy/front-contract';
import type { FrontConfig } from '../policy/front';
import type { HostRuntime } from '../runtime/host-runtime';
import { createFrontContext } from './front/context';
import { drainSteps } from './front/drain';
import { preflightSteps } from './front/preflight';
import { switchSteps } from './front/switch';

export function createFrontActivities(rt: HostRuntime, front: FrontConfig): FrontActivities {
  const ctx = createFrontContext(rt, front);
  return { ...preflightSteps(ctx), ...drainSteps(ctx), ...switchSteps(ctx) };
}
