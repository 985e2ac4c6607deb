// A front's worker: serves the front's own task queue (frontTaskQueue), driving the HAProxy
// on this machine through its admin socket. Usage: front-worker --config <front.json>
import { parseArgs } from 'node:util';
import { Worker } from '@temporalio/worker';
import { createFrontActivities } from '../activities/front-activities';
import { FrontConfig } from '../policy/front';
import { frontTaskQueue } from '../policy/names';
import { describeZodError, type ParseResult } from '../policy/request';
import { LocalRuntime } from '../runtime/local';
import { loadJsonFile } from './config-file';
import { serve } from './serve';

function parseFrontConfig(input: unknown): ParseResult<FrontConfig> {
  const result = FrontConfig.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, error: `invalid front config: ${describeZodError(result.error)}` };
}

serve('front worker', async (connection, namespace) => {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('usage: front-worker --config <front.json>');
  const front = loadJsonFile(values.config, parseFrontConfig);
  return Worker.create({
    connection,
    namespace,
    taskQueue: frontTaskQueue(front.name),
    identity: `godwit-front-${front.name}@${process.pid}`,
    activities: createFrontActivities(new LocalRuntime(), front),
    // The drain's heartbeats carry cancellation: send them often.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
  });
});
