// The front a container's clients come through, when it moves between networks
// (policy/front.ts): checked in preflight, held just before the freeze (new requests wait in
// it, in-flight ones finish), switched to the target once verify passed, put back on the
// source by a rollback, and the source's server dropped after commit.
import { isCancellation, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { FrontActivities, FrontMoveInput } from '../policy/front-contract';
import type { FrontedService } from '../policy/inventory';
import { NON_RETRYABLE_ERRORS } from '../policy/host-contract';
import { frontTaskQueue } from '../policy/names';
import { StepFailure } from './failures';
import type { InventoryHosts } from './context';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS] };

export interface FrontStubs {
  name: string;
  /** The same input for every step: the backend, and its server on each host. */
  move: FrontMoveInput;
  quick: FrontActivities;
  /** The drain waits for in-flight requests: it heartbeats. */
  drain: FrontActivities;
  /** Rollback: keep trying longer, the service's clients wait on it. */
  undo: FrontActivities;
}

/** Stubs on the front's own task queue; a front whose worker is gone fails in bounded time. */
export function frontStubs(service: FrontedService, hosts: InventoryHosts, hostTimeoutSeconds: number): FrontStubs {
  const taskQueue = frontTaskQueue(service.front);
  const scheduleToStartTimeout = hostTimeoutSeconds * 1000;
  const server = (host: InventoryHosts['source']) => ({ host: host.name, address: host.address, port: service.port });
  return {
    name: service.front,
    move: { backend: service.backend, source: server(hosts.source), target: server(hosts.target) },
    quick: proxyActivities<FrontActivities>({ taskQueue, scheduleToStartTimeout, startToCloseTimeout: '30s', retry }),
    drain: proxyActivities<FrontActivities>({ taskQueue, scheduleToStartTimeout, startToCloseTimeout: '5m', heartbeatTimeout: '10s', retry }),
    undo: proxyActivities<FrontActivities>({
      taskQueue,
      scheduleToStartTimeout: Math.max(hostTimeoutSeconds, 300) * 1000,
      startToCloseTimeout: '2m',
      retry: { ...retry, maximumAttempts: 10, maximumInterval: '30s' },
    }),
  };
}

/** Calls a front step and names the front and step in any failure. */
export async function onFront<T>(front: FrontStubs, step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw new StepFailure(front.name, step, err, 'front');
  }
}
