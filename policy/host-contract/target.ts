// The target host's steps: preflight, staging, the servers that receive pages, restore,
// verification, and dropping the images once the move is done.
import { z } from 'zod';
import type { HealthCheck } from '../request';
import type { Transport } from '../transport';
import type { TargetFacts } from './facts';
import type { VolumeRef } from '../volumes';
import type { NetworkAttachment } from '../container-network';
import type { DumpRef, PageServerEndpoint, RunRef, WhenReady } from './refs';

export const RestoreResult = z.object({
  /** Epoch ms at which the container ran again on the target: downtime ends here. */
  runningAt: z.number(),
  seconds: z.number(),
  /** Memory pages that reached the target (bytes of its pages-*.img files). */
  pageBytes: z.number().nonnegative(),
});
export type RestoreResult = z.infer<typeof RestoreResult>;

export interface TargetActivities {
  /**
   * `volumes`: the source's, to check there is room for them and nothing of them here yet.
   * `network`: the container's own address, to check this host's network can take it.
   */
  preflightTarget(input: { container: string; cpuinfo: string; requiredBytes: number; transport?: Transport; volumes?: VolumeRef[]; network?: NetworkAttachment | null }): Promise<TargetFacts>;
  /** Target: make the received bundle this host's (namespace, cgroup). */
  stageBundle(input: RunRef): Promise<void>;
  /**
   * Target: start a CRIU page server for one dump; it exits when the dump ends. The address
   * is the target's own, or its loopback (transport ssh-tunnel: reached only through sshd).
   */
  startPageServer(input: DumpRef): Promise<PageServerEndpoint>;
  /**
   * Target, post-copy: start the daemon that pulls pages from the source as they are touched.
   * Scheduled with the dump (`whenReady`), it has no `pageServer`: it waits for the images
   * and reads where the source serves its pages from them (activities/host/lazy-endpoint.ts).
   */
  startLazyPages(input: RunRef & { pageServer?: PageServerEndpoint } & WhenReady): Promise<void>;
  /**
   * Target: restore from the images; with `lazyPages`, memory follows through the daemon
   * (with `whenReady`, it waits for the images and for that daemon to be ready).
   */
  restore(input: RunRef & { lazyPages?: boolean } & WhenReady): Promise<RestoreResult>;
  verify(input: RunRef & { healthCheck?: HealthCheck } & WhenReady): Promise<void>;
  /**
   * Target, at commit: a container with a network of its own reaches its clients from here
   * on (until then its link is held cut); when, by the target's clock. Null for a container
   * in its host's network, which nothing holds.
   */
  admitClients(input: RunRef): Promise<{ admittedAt: number | null }>;
  /** Target: drop the images the restore no longer needs, or keep them and say where. */
  finishTarget(input: RunRef & { keepImages: boolean }): Promise<{ keptAt: string | null }>;
}
