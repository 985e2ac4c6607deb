// A host's worker: serves only this host's task queue, acting on this machine.
// Usage: host-worker --config <host.json>
import { parseArgs } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createHostActivities } from '../activities/host-activities';
import { parseHostConfig } from '../policy/inventory';
import { hostTaskQueue } from '../policy/names';
import { LocalRuntime } from '../runtime/local';
import { temporalConnectConfig } from './connection';
import { loadJsonFile } from './config-file';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('usage: host-worker --config <host.json>');
  const host = loadJsonFile(values.config, parseHostConfig);
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: hostTaskQueue(host.name),
    identity: `godwit-host-${host.name}@${process.pid}`,
    activities: createHostActivities(new LocalRuntime(), host, { faultInjection: process.env.GODWIT_TEST_FAULTS === '1' }),
    // Activities on one host compete for its disk and CPU: a few at a time is plenty.
    maxConcurrentActivityTaskExecutions: 8,
    // Cancellation reaches an activity only with a heartbeat's reply: send them often, so
    // an abort stops a running step within a second or two rather than at 80% of the timeout.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
  });
  console.log(`host worker for ${host.name} polling ${hostTaskQueue(host.name)} on ${connectionOptions.address}`);
  // SIGINT/SIGTERM stop polling and let running activities finish (Runtime's default).
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: Error) => {
  console.error(`host worker: ${err.message}`);
  process.exit(1);
});
