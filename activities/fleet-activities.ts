import { ApplicationFailure } from '@temporalio/activity';
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
      return { source: find(source), target: find(target) };
    },
  };
}
