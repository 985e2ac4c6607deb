// Activities of the orchestrator's own queue: answers from the fleet inventory.
import type { FrontedService, HostEntry } from '../inventory';
import type { RecentMove } from '../rebalance';

export interface FleetActivities {
  /** `container`: to find the front its clients come through, if any (absent from older workflows). */
  resolveHosts(input: { source: string; target: string; container?: string }): Promise<{
    source: HostEntry;
    target: HostEntry;
    maxOutboundMigrations: number;
    front?: FrontedService;
  }>;
  /** Asks the source host's gate for an outbound slot (starting the gate if need be). */
  requestSlot(input: { host: string; requester: string; limit: number }): Promise<void>;
  /** Of these workflows, the ones that are no longer running. */
  finishedWorkflows(input: { workflowIds: string[] }): Promise<{ finished: string[] }>;
  /** Every host in the inventory. */
  listHosts(): Promise<{ hosts: string[] }>;
  /** Running rebalances other than `self` (a manual run and a scheduled one must not overlap). */
  otherRebalances(input: { self: string }): Promise<{ workflowIds: string[] }>;
  /** Containers migrated within the last `seconds` (from the search attributes): the cooldown. */
  recentMigrations(input: { seconds: number }): Promise<RecentMove[]>;
}
