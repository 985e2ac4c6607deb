// What names a run, a dump and the hosts in a host step's input: shared by every side.
import { z } from 'zod';
import { HostEntry } from '../inventory';
import { Transport } from '../transport';
import { VolumeRef } from '../volumes';

/** Another host, as the inventory describes it. */
export const Peer = HostEntry;
export type Peer = HostEntry;

export const RunRef = z.object({
  container: z.string(),
  /** Unique per migration run; names the image directories on both hosts. */
  runKey: z.string(),
  /** How pages and files cross to the target; absent (older runs): plain. */
  transport: Transport.optional(),
  /** What the frozen source does with new connections: refuse them (absent) or drop them. */
  frozenConnections: z.enum(['refuse', 'drop']).optional(),
  /** The container's volumes, as the source's preflight found them; absent: none. */
  volumes: z.array(VolumeRef).optional(),
});
export type RunRef = z.infer<typeof RunRef>;

/** Which dump a page server serves: a pre-dump round, or the final dump (no `round`). */
export const DumpRef = RunRef.extend({
  round: z.number().int().min(1).optional(),
  /** The pre-dump round this dump builds on (pre-copy), if any. */
  parentRound: z.number().int().min(1).optional(),
});
export type DumpRef = z.infer<typeof DumpRef>;

export const PageServerEndpoint = z.object({
  address: z.string(),
  port: z.number().int().min(1).max(65535),
});
export type PageServerEndpoint = z.infer<typeof PageServerEndpoint>;

/**
 * A step of the freeze-to-running path scheduled with the one before it: with `whenReady`
 * it waits on its host until that step's result is there (a record, or the images' marker),
 * so no round trip through the Temporal server lies between the two (workflows/freeze-path.ts).
 */
export interface WhenReady {
  whenReady?: boolean;
}
