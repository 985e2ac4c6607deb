// The orchestrator's worker: runs the workflows and answers fleet look-ups from the
// host inventory. Usage: orchestrator-worker --inventory <inventory.json>
import { parseArgs } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createFleetActivities } from '../activities/fleet-activities';
import { parseInventory } from '../policy/inventory';
import { ORCHESTRATOR_TASK_QUEUE } from '../policy/names';
import { temporalConnectConfig } from './connection';
import { loadJsonFile } from './config-file';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { inventory: { type: 'string' } } });
  if (!values.inventory) throw new Error('usage: orchestrator-worker --inventory <inventory.json>');
  const inventoryFile = values.inventory;
  // Read on every look-up, so an edited inventory applies without a restart.
  const loadInventory = () => Promise.resolve().then(() => loadJsonFile(inventoryFile, parseInventory));
  await loadInventory(); // fail at start, not at the first migration
  const { connectionOptions, namespace } = temporalConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    identity: `godwit-orchestrator@${process.pid}`,
    workflowsPath: require.resolve('../workflows'),
    activities: createFleetActivities(loadInventory),
  });
  console.log(`orchestrator worker polling ${ORCHESTRATOR_TASK_QUEUE} on ${connectionOptions.address}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: Error) => {
  console.error(`orchestrator worker: ${err.message}`);
  process.exit(1);
});
