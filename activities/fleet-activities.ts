import { ApplicationFailure, Context } from '@temporalio/activity';
import { ORCHESTRATOR_TASK_QUEUE, hostGateWorkflowId } from '../policy/names';
import type { FleetActivities, NonRetryableError } from '../policy/host-contract';
import type { Inventory } from '../policy/inventory';

/** Activities on the orchestrator's queue that answer from the host inventory. */
export function createFleetActivities(loadInventory: () => Promise<Inventory>): FleetActivities {
  return {
    async resolveHosts({ source, target }) {
      const inventory = await loadInventory();
      const find = (name: string) => {
        const host = inventory.hosts.find((h) => h.name === name);
        if (!host) {
          const known = inventory.hosts.map((h) => h.name).join(', ');
          const type: NonRetryableError = 'InvalidInput';
          throw ApplicationFailure.nonRetryable(`unknown host "${name}" (known hosts: ${known})`, type);
        }
        return host;
      };
      return { source: find(source), target: find(target), maxOutboundMigrations: inventory.maxOutboundMigrationsPerHost };
    },

    async requestSlot({ host, requester, limit }) {
      await Context.current().client.workflow.signalWithStart('hostGateWorkflow', {
        workflowId: hostGateWorkflowId(host),
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        args: [{ host, limit }],
        signal: 'acquireSlot',
        signalArgs: [{ requester, limit }],
      });
    },

    async finishedWorkflows({ workflowIds }) {
      const client = Context.current().client;
      const finished: string[] = [];
      for (const id of workflowIds) {
        const description = await client.workflow.getHandle(id).describe().catch(() => null);
        if (description === null || description.status.name !== 'RUNNING') finished.push(id);
      }
      return { finished };
    },
  };
}
