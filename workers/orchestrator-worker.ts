// The orchestrator's worker: runs the workflows and answers fleet look-ups from the
// host inventory. Usage: orchestrator-worker --inventory <inventory.json>
import { parseArgs } from 'node:util';
import { Worker } from '@temporalio/worker';
import { createFleetActivities } from '../activities/fleet-activities';
import { parseInventory } from '../policy/inventory';
import { ORCHESTRATOR_TASK_QUEUE } from '../policy/names';
import { loadJsonFile } from './config-file';
import { serve } from './serve';

serve('orchestrator worker', async (connection, namespace) => {
  const { values } = parseArgs({ options: { inventory: { type: 'string' } } });
  if (!values.inventory) throw new Error('usage: orchestrator-worker --inventory <inventory.json>');
  const inventoryFile = values.inventory;
  // Read on every look-up, so an edited inventory applies without a restart.
  const loadInventory = () => Promise.resolve().then(() => loadJsonFile(inventoryFile, parseInventory));
  await loadInventory(); // fail at start, not at the first migration
  return Worker.create({
    connection,
    namespace,
    taskQueue: ORCHESTRATOR_TASK_QUEUE,
    identity: `godwit-orchestrator@${process.pid}`,
    workflowsPath: require.resolve('../workflows'),
    activities: createFleetActivities(loadInventory),
  });
});
