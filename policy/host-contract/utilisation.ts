// What rebalancing asks of every host.
import type { HostUsage } from '../rebalance';

export interface UtilisationActivities {
  /** The host's load and each running container's (memory, CPU over about a second). */
  utilisation(): Promise<HostUsage>;
}
