// Activity stubs: per host, bound to that host's task queue (every call sets a schedule-to-start
// timeout, so work for a host whose worker is gone fails in bounded time instead of waiting),
// and the one stub of the fleet look-ups on the orchestrator's own queue.
import { ActivityCancellationType, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { FleetActivities, HostActivities } from '../policy/host-contract';
import { NON_RETRYABLE_ERRORS } from '../policy/host-contract';
import { ORCHESTRATOR_TASK_QUEUE, hostTaskQueue } from '../policy/names';

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '15s',
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS],
};

export interface HostStubs {
  name: string;
  /** Short look-ups and small changes. */
  quick: HostActivities;
  /** Copies, restores: heartbeat, so a dead worker is noticed within the heartbeat timeout. */
  long: HostActivities;
  /** The dump: one page server serves one dump, so a failed dump is not retried in place. */
  once: HostActivities;
  /** Rollback: keep trying longer, the container's safety depends on it. */
  undo: HostActivities;
}

export function hostStubs(name: string, hostTimeoutSeconds: number): HostStubs {
  const taskQueue = hostTaskQueue(name);
  const scheduleToStartTimeout = hostTimeoutSeconds * 1000;
  // On abort, wait until the step has really stopped before rolling back: a restore still
  // running while the source is resumed could leave the container running twice.
  const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
  return {
    name,
    // No heartbeat: a worker killed mid-step is noticed by this timeout alone, so keep it short
    // (a 2-minute one held the fault matrix's preflight cell for two minutes).
    quick: proxyActivities<HostActivities>({ taskQueue, scheduleToStartTimeout, cancellationType, startToCloseTimeout: '45s', retry }),
    long: proxyActivities<HostActivities>({
      taskQueue,
      scheduleToStartTimeout,
      cancellationType,
      startToCloseTimeout: '2h',
      heartbeatTimeout: '20s',
      retry,
    }),
    once: proxyActivities<HostActivities>({
      taskQueue,
      scheduleToStartTimeout,
      cancellationType,
      startToCloseTimeout: '1h',
      heartbeatTimeout: '20s',
      retry: { ...retry, maximumAttempts: 1 },
    }),
    undo: proxyActivities<HostActivities>({
      taskQueue,
      scheduleToStartTimeout: Math.max(hostTimeoutSeconds, 300) * 1000,
      startToCloseTimeout: '10m',
      heartbeatTimeout: '30s',
      retry: { ...retry, maximumAttempts: 10, maximumInterval: '30s' },
    }),
  };
}

/** The fleet look-ups (activities/fleet-activities.ts), for migrations, rebalances and host gates alike. */
export const fleet = proxyActivities<FleetActivities>({
  taskQueue: ORCHESTRATOR_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry,
});
