import { ApplicationFailure, Context } from '@temporalio/activity';
import { ACQUIRE_SLOT_SIGNAL, HOST_GATE_WORKFLOW, MIGRATION_WORKFLOW, ORCHESTRATOR_TASK_QUEUE, REBALANCE_WORKFLOW, hostGateWorkflowId } from '../policy/names';
import type { FleetActivities, NonRetryableError } from '../policy/host-contract';
import type { Inventory } from '../policy/inventory';
import type { RecentMove } from '../policy/rebalance';
import { SEARCH_ATTRIBUTES } from '../policy/search-attributes';

/** Enough for any cooldown window; the list is only read to skip recently moved containers. */
const MAX_RECENT = 10_000;

/** Activities on the orchestrator's queue that answer from the host inventory. */
export function createFleetActivities(loadInventory: () => Promise<Inventory>): FleetActivities {
  return {
    async resolveHosts({ source, target, container }) {
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
      const front = inventory.frontedServices.find((s) => s.container === container);
      return { source: find(source), target: find(target), maxOutboundMigrations: inventory.maxOutboundMigrationsPerHost, ...(front ? { front } : {}) };
    },

    async requestSlot({ host, requester, limit }) {
      await Context.current().client.workflow.signalWithStart(HOST_GATE_WORKFLOW, {
        workflowId: hostGateWorkflowId(host),
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        args: [{ host, limit }],
        signal: ACQUIRE_SLOT_SIGNAL,
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

    async listHosts() {
      return { hosts: (await loadInventory()).hosts.map((h) => h.name) };
    },

    async otherRebalances({ self }) {
      const workflowIds: string[] = [];
      const query = `WorkflowType = '${REBALANCE_WORKFLOW}' AND ExecutionStatus = 'Running'`;
      for await (const w of Context.current().client.workflow.list({ query })) if (w.workflowId !== self) workflowIds.push(w.workflowId);
      return { workflowIds };
    },

    async recentMigrations({ seconds }) {
      const since = new Date(Date.now() - seconds * 1000).toISOString();
      // Built from a date we formatted, never from input.
      const query = `WorkflowType = '${MIGRATION_WORKFLOW}' AND ${SEARCH_ATTRIBUTES.outcome.name} = 'migrated' AND CloseTime > '${since}'`;
      const moves: RecentMove[] = [];
      for await (const w of Context.current().client.workflow.list({ query })) {
        const container = w.typedSearchAttributes.get(SEARCH_ATTRIBUTES.container);
        if (container && w.closeTime) moves.push({ container, finishedAt: w.closeTime.getTime() });
        if (moves.length >= MAX_RECENT) break;
      }
      return moves;
    },
  };
}
