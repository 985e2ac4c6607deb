// The source host's steps: preflight, copies to the target, the dumps, and the commit.
import { z } from 'zod';
import type { Round } from '../convergence';
import { GhostLimitBytes } from '../request';
import type { Transport } from '../transport';
import type { SourceFacts } from './facts';
import { PageServerEndpoint, type DumpRef, type Peer, type RunRef, type WhenReady } from './refs';

/** What one push sent of one volume. */
export const VolumeCopy = z.object({ name: z.string(), bytes: z.number().nonnegative(), seconds: z.number() });
export type VolumeCopy = z.infer<typeof VolumeCopy>;

export const TransferResult = z.object({
  /** Everything sent, volumes included. */
  bytes: z.number().nonnegative(),
  seconds: z.number(),
  /** Of that, each volume's part; absent from older workers (and for no volumes). */
  volumes: z.array(VolumeCopy).optional(),
});
export type TransferResult = z.infer<typeof TransferResult>;

/**
 * `kept`: a container with its own network: its connections go with it, same socket.
 * `closed`: a container in its host's network: they are restored closed, clients reconnect.
 */
export const ConnectionHandling = z.object({
  handling: z.enum(['kept', 'closed']),
  /** Established TCP sockets the container held at the freeze (a connection over loopback counts twice). */
  established: z.number().int().nonnegative(),
});
export type ConnectionHandling = z.infer<typeof ConnectionHandling>;

export const CheckpointResult = z.object({
  /** Epoch ms at which the container was frozen: downtime starts here. */
  frozenAt: z.number(),
  seconds: z.number(),
  /** Pages CRIU wrote in the final dump (to the page server or to disk). */
  pagesWritten: z.number().int().nonnegative(),
  /** The container's established TCP connections at the freeze, and what the move does with them; absent from older workers. */
  connections: ConnectionHandling.optional(),
});
export type CheckpointResult = z.infer<typeof CheckpointResult>;

/** A post-copy dump: everything but the pages is written; the source serves the pages. */
export const LazyDumpResult = CheckpointResult.extend({
  /** Where the source's dump serves pages to the target's lazy-pages daemon. */
  pageServer: PageServerEndpoint,
});
export type LazyDumpResult = z.infer<typeof LazyDumpResult>;

/**
 * What a final dump is told about the process state it must carry. Optional: an orchestrator
 * older than the option sends none, and the worker then uses DEFAULT_GHOST_LIMIT_BYTES.
 */
export const HeldStateOptions = z.object({
  /** CRIU's ghost-limit: the largest deleted-but-open file the dump may copy into the images. */
  ghostLimitBytes: GhostLimitBytes.optional(),
});
export type HeldStateOptions = z.infer<typeof HeldStateOptions>;

export interface SourceActivities {
  /** With transport ssh-tunnel, also proves this host can reach the target's sshd (pinned key). */
  preflightSource(input: { container: string; transport?: Transport; target?: Peer; sharedPaths?: string[] }): Promise<SourceFacts>;
  /** Source: push the bundle, root file system and volumes to the target while the container runs. */
  pushBundle(input: RunRef & { target: Peer }): Promise<TransferResult>;
  /**
   * Source: how fast files reach the target, for the planner: two pushes of different sizes,
   * so rsync's start-up cost cancels out. Null when the difference is too small to time.
   */
  measureLink(input: RunRef & { target: Peer }): Promise<{ bytesPerSecond: number | null }>;
  /** Source: copy memory while the container runs (pre-copy); only pages changed since the parent round. */
  preDump(input: DumpRef & { round: number; pageServer: PageServerEndpoint; target?: Peer }): Promise<Round>;
  /**
   * Source: freeze, then dump, with pages streamed to the page server when one is given (else
   * written to disk for the transfer to carry). The source stays frozen. `target`: where the
   * page server runs, for a tunnel to it.
   */
  checkpoint(input: DumpRef & HeldStateOptions & { pageServer?: PageServerEndpoint; target?: Peer }): Promise<CheckpointResult>;
  /**
   * Source, post-copy: freeze and dump all but the memory, then keep serving
   * the pages until the target has them all. The source stays frozen meanwhile.
   */
  postCopyDump(input: RunRef & HeldStateOptions): Promise<LazyDumpResult>;
  /**
   * Source: push the remaining image files and a final root file system sync, exact for every
   * file changed within `changedWithinSeconds` (since the first sync began, and a margin);
   * absent (an older orchestrator): exact for every file.
   */
  pushImages(input: RunRef & { target: Peer; changedWithinSeconds?: number } & WhenReady): Promise<TransferResult>;
  /**
   * Source, post-copy: wait until every page reached the target (the dump then ends).
   * `drainedAt`: when the dump wrote its last log line, its end (absent from older workers).
   */
  awaitPagesDrained(input: RunRef): Promise<{ seconds: number; drainedAt?: number }>;
  /** Source: destroy the frozen original, and its volumes unless `keepVolumes`. The point of no return. */
  commitSource(input: RunRef & { keepVolumes?: boolean }): Promise<void>;
}
