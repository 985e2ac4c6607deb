// What a host can be asked to do. Workflows call these through per-host task queues; the
// activities in activities/ implement them. Inputs and results are small and carry no
// secrets: they are kept in workflow history and shown in the UI.
import type { HealthCheck } from './request';
import type { HostEntry } from './inventory';
import type { Round } from './convergence';
import type { HostUsage, RecentMove } from './rebalance';
import type { Transport } from './transport';

export interface CriuFacts {
  version: string;
  /** `criu check` passed. */
  usable: boolean;
  checkOutput: string;
  memDirtyTrack: boolean;
  uffdNoncoop: boolean;
}

export interface SourceFacts {
  host: string;
  criu: CriuFacts;
  containerStatus: 'running' | 'paused' | 'stopped' | 'created' | 'absent';
  /** Bytes used by the container's memory cgroup, a guide to how much will move. */
  memoryBytes: number;
  rootfsBytes: number;
  /** `criu cpuinfo dump` image, base64: the target checks it can run this CPU state. */
  cpuinfo: string;
}

export interface TargetFacts {
  host: string;
  criu: CriuFacts;
  containerExists: boolean;
  freeBytes: number;
  cpuCompatible: boolean;
  cpuCheckOutput: string;
}

/** Another host, as the inventory describes it. */
export type Peer = HostEntry;

export interface RunRef {
  container: string;
  /** Unique per migration run; names the image directories on both hosts. */
  runKey: string;
  /** How pages and files cross to the target; absent (older runs): plain. */
  transport?: Transport;
}

export interface TransferResult {
  bytes: number;
  seconds: number;
}

export interface PageServerEndpoint {
  address: string;
  port: number;
}

/** Which dump a page server serves: a pre-dump round, or the final dump (no `round`). */
export interface DumpRef extends RunRef {
  round?: number;
  /** The pre-dump round this dump builds on (pre-copy), if any. */
  parentRound?: number;
}

export interface CheckpointResult {
  /** Epoch ms at which the container was frozen: downtime starts here. */
  frozenAt: number;
  seconds: number;
  /** Pages CRIU wrote in the final dump (to the page server or to disk). */
  pagesWritten: number;
}

/** A post-copy dump: everything but the pages is written; the source serves the pages. */
export interface LazyDumpResult extends CheckpointResult {
  /** Where the source's dump serves pages to the target's lazy-pages daemon. */
  pageServer: PageServerEndpoint;
}

export interface RestoreResult {
  /** Epoch ms at which the container ran again on the target: downtime ends here. */
  runningAt: number;
  seconds: number;
  /** Memory pages that reached the target (bytes of its pages-*.img files). */
  pageBytes: number;
}

export interface ResumeResult {
  /** What was done to bring the source back. */
  action: 'resumed' | 'already-running' | 'restored-from-images';
}

export interface HostActivities {
  /** With transport ssh-tunnel, also proves this host can reach the target's sshd (pinned key). */
  preflightSource(input: { container: string; transport?: Transport; target?: Peer }): Promise<SourceFacts>;
  preflightTarget(input: { container: string; cpuinfo: string; requiredBytes: number; transport?: Transport }): Promise<TargetFacts>;
  /** Source: push the bundle and root file system to the target while the container runs. */
  pushBundle(input: RunRef & { target: Peer }): Promise<TransferResult>;
  /**
   * Source: how fast files reach the target, for the planner: two pushes of different sizes,
   * so rsync's start-up cost cancels out. Null when the difference is too small to time.
   */
  measureLink(input: RunRef & { target: Peer }): Promise<{ bytesPerSecond: number | null }>;
  /** Target: make the received bundle this host's (namespace, cgroup). */
  stageBundle(input: RunRef): Promise<void>;
  /**
   * Target: start a CRIU page server for one dump; it exits when the dump ends. The address
   * is the target's own, or its loopback (transport ssh-tunnel: reached only through sshd).
   */
  startPageServer(input: DumpRef): Promise<PageServerEndpoint>;
  /** Source: copy memory while the container runs (pre-copy); only pages changed since the parent round. */
  preDump(input: DumpRef & { round: number; pageServer: PageServerEndpoint; target?: Peer }): Promise<Round>;
  /**
   * Source: freeze, then dump, with pages streamed to the page server when one is given (else
   * written to disk for the transfer to carry). The source stays frozen. `target`: where the
   * page server runs, for a tunnel to it.
   */
  checkpoint(input: DumpRef & { pageServer?: PageServerEndpoint; target?: Peer }): Promise<CheckpointResult>;
  /**
   * Source, post-copy (experimental): freeze and dump all but the memory, then keep serving
   * the pages until the target has them all. The source stays frozen meanwhile.
   */
  postCopyDump(input: RunRef): Promise<LazyDumpResult>;
  /** Source: push the remaining image files and a final root file system sync. */
  pushImages(input: RunRef & { target: Peer }): Promise<TransferResult>;
  /** Target, post-copy: start the daemon that pulls pages from the source as they are touched. */
  startLazyPages(input: RunRef & { pageServer: PageServerEndpoint }): Promise<void>;
  /** Target: restore from the images; with `lazyPages`, memory follows through the daemon. */
  restore(input: RunRef & { lazyPages?: boolean }): Promise<RestoreResult>;
  /** Source, post-copy: wait until every page reached the target (the dump then ends). */
  awaitPagesDrained(input: RunRef): Promise<{ seconds: number }>;
  verify(input: RunRef & { healthCheck?: HealthCheck }): Promise<void>;
  /** Source: destroy the frozen original. The point of no return. */
  commitSource(input: RunRef): Promise<void>;
  /** Target: drop the images the restore no longer needs, or keep them and say where. */
  finishTarget(input: RunRef & { keepImages: boolean }): Promise<{ keptAt: string | null }>;
  // Compensations: each is idempotent and safe to run whatever state the host is in.
  stopTargetContainer(input: RunRef): Promise<void>;
  resumeSource(input: RunRef): Promise<ResumeResult>;
  cleanupTarget(input: RunRef): Promise<void>;
  /** The host's load and each running container's (memory, CPU over about a second). */
  utilisation(): Promise<HostUsage>;
}

/** Activities of the orchestrator's own queue: answers from the fleet inventory. */
export interface FleetActivities {
  resolveHosts(input: { source: string; target: string }): Promise<{ source: HostEntry; target: HostEntry; maxOutboundMigrations: number }>;
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

/** Error types the workflow never retries: the state of the world, not a glitch. */
export const NON_RETRYABLE_ERRORS = ['PreconditionFailed', 'InvalidInput', 'HostKeyRejected'] as const;
export type NonRetryableError = (typeof NON_RETRYABLE_ERRORS)[number];
