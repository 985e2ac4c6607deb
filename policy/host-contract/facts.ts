// What preflight learns of each host before anything changes.
import { z } from 'zod';
import { VolumeRef } from '../volumes';
import { NetworkAttachment } from '../container-network';
import { PipeLimit } from '../lazy-pages';

export const CriuFacts = z.object({
  version: z.string(),
  /** `criu check` passed. */
  usable: z.boolean(),
  checkOutput: z.string(),
  memDirtyTrack: z.boolean(),
  uffdNoncoop: z.boolean(),
  /** What a post-copy dump's page server may ask of pipes here; absent from older workers. */
  lazyPagesPipe: PipeLimit.optional(),
});
export type CriuFacts = z.infer<typeof CriuFacts>;

/** A container as runc reports it; `absent` when runc does not know it. */
export const ContainerStatus = z.enum(['running', 'paused', 'stopped', 'created', 'absent']);
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const SourceFacts = z.object({
  host: z.string(),
  criu: CriuFacts,
  containerStatus: ContainerStatus,
  /** Bytes used by the container's memory cgroup, a guide to how much will move. */
  memoryBytes: z.number().nonnegative(),
  rootfsBytes: z.number().nonnegative(),
  /** `criu cpuinfo dump` image, base64: the target checks it can run this CPU state. */
  cpuinfo: z.string(),
  /** The container's volumes (bind mounts from the source's volumesDir); absent from older workers. */
  volumes: z.array(VolumeRef).optional(),
  /** The container's own network address, or null in its host's network; absent from older workers. */
  network: NetworkAttachment.nullable().optional(),
  /** Its steps honour `whenReady` (workflows/freeze-path.ts); absent from older workers, which would not wait. */
  waitsWhenReady: z.boolean().optional(),
  /** Its post-copy steps honour `whenReady` too (workflows/freeze-path.ts); absent from older workers. */
  postCopyWhenReady: z.boolean().optional(),
});
export type SourceFacts = z.infer<typeof SourceFacts>;

export const TargetFacts = z.object({
  host: z.string(),
  criu: CriuFacts,
  containerExists: z.boolean(),
  freeBytes: z.number(),
  cpuCompatible: z.boolean(),
  cpuCheckOutput: z.string(),
  /** As SourceFacts.waitsWhenReady. */
  waitsWhenReady: z.boolean().optional(),
  /** As SourceFacts.postCopyWhenReady. */
  postCopyWhenReady: z.boolean().optional(),
});
export type TargetFacts = z.infer<typeof TargetFacts>;
