// A host's worker: serves only this host's task queue, acting on this machine.
// Usage: host-worker --config <host.json>
import { parseArgs } from 'node:util';
import { Worker } from '@temporalio/worker';
import { createHostActivities } from '../activities/host-activities';
import { parseHostConfig } from '../policy/inventory';
import { hostTaskQueue } from '../policy/names';
import { LocalRuntime } from '../runtime/local';
import { sshTo } from '../activities/routes';
import type { HostRuntime } from '../runtime/host-runtime';
import { preparePipeLimit } from '../runtime/pipe-limit';
import { loadJsonFile } from './config-file';
import { serve } from './serve';

serve('host worker', async (connection, namespace) => {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('usage: host-worker --config <host.json>');
  const host = loadJsonFile(values.config, parseHostConfig);
  // A gateway for a host without a worker of its own, or the host itself.
  const runtime: HostRuntime = host.ssh
    ? sshTo(host)
    : new LocalRuntime();
  // Post-copy's page server needs a wider pipe than this kernel may grant root (see
  // policy/lazy-pages.ts); raised here, said in the log. A host unreachable now is judged
  // again by each migration's preflight, so it does not stop the worker.
  await preparePipeLimit(runtime, host.name).then(
    (change) => console.log(change.said),
    (err: Error) => console.log(`host ${host.name}: pipe limit not checked at start (${err.message}); preflight checks it`),
  );
  return Worker.create({
    connection,
    namespace,
    taskQueue: hostTaskQueue(host.name),
    identity: `godwit-host-${host.name}@${process.pid}`,
    activities: createHostActivities(runtime, host, { faultInjection: process.env.GODWIT_TEST_FAULTS === '1' }),
    // Activities on one host compete for its disk and CPU: a few at a time is plenty.
    maxConcurrentActivityTaskExecutions: 8,
    // Cancellation reaches an activity only with a heartbeat's reply: send them often, so
    // an abort stops a running step within a second or two rather than at 80% of the timeout.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
  });
});
