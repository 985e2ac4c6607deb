// What a benchmark run measures, as data: the one schema the runner writes, the summary
// reads and the renderers draw. Columns follow the seed paper's Table II.
import { z } from 'zod';
import { PhaseSeconds } from '../policy/report';
import { Transport } from '../policy/transport';

export const Workload = z.enum(['idle', 'dirtying']);
export type Workload = z.infer<typeof Workload>;

/** Real services from Debian's packages (infra/services), under a client of their own. */
export const ServiceWorkload = z.enum(['redis', 'postgres', 'nginx']);
export type ServiceWorkload = z.infer<typeof ServiceWorkload>;

/** Who drove the steps: Godwit's workflow, or a plain script with no Temporal in between. */
export const Runner = z.enum(['godwit', 'bare']);
export type Runner = z.infer<typeof Runner>;

/** The lab link between the hosts; `loopback` is the unshaped bridge. */
export const Link = z.object({
  name: z.string().min(1),
  /** tc netem shaping; absent for the unshaped link. */
  rateMbit: z.number().positive().optional(),
  delayMs: z.number().nonnegative().optional(),
});
export type Link = z.infer<typeof Link>;

/**
 * How commands reached the hosts: in the host's own network namespace (its own worker, or
 * the bare script), or over SSH from a gateway worker, which costs ~120 ms a command on the
 * lab machines. Part of the case, so only samples driven alike are ever compared.
 */
export const HostAccess = z.enum(['worker', 'ssh']);
export type HostAccess = z.infer<typeof HostAccess>;

/** One cell of the matrix: everything but the repetition and the runner. */
export const BenchCase = z.object({
  strategy: z.enum(['page-server', 'stop-and-copy', 'pre-copy', 'post-copy']),
  memoryMib: z.number().int().positive(),
  workload: Workload,
  link: Link,
  // Defaults: results written before transports were measured were all plain, over workers.
  transport: Transport.default('plain'),
  hostAccess: HostAccess.default('worker'),
  /**
   * Added delay each way between every worker and the Temporal server, through the latency
   * proxy (bench/latency-proxy.ts); null: workers reach the server directly (older results too).
   */
  serverDelayMs: z.number().int().min(0).nullable().default(null),
});
export type BenchCase = z.infer<typeof BenchCase>;

/** What a post-copy run cost the workload (bench/post-copy.ts). */
export const PostCopyCost = z.object({
  /** From running on the target to the last page. */
  drainSeconds: z.number().nonnegative(),
  /** Counter ticks a second before the freeze, and during the drain; null where too few readings fell inside. */
  rateBefore: z.number().nonnegative().nullable(),
  rateDuringDrain: z.number().nonnegative().nullable(),
});
export type PostCopyCost = z.infer<typeof PostCopyCost>;

export const BenchSample = BenchCase.extend({
  runner: Runner,
  rep: z.number().int().min(1),
  outcome: z.enum(['migrated', 'failed']),
  /** Why it failed, when it did. */
  error: z.string().optional(),
  seconds: PhaseSeconds,
  /** The longest gap between two answers of the workload's counter, probed every 10 ms. */
  probeGapSeconds: z.number().nonnegative().nullable(),
  /** Bytes that crossed the link (pages and files). */
  bytes: z.number().nonnegative(),
  /** Of those, what CRIU streamed to a page server; null where not recorded (bare runs, older results). */
  pageStreamBytes: z.number().nonnegative().nullable().default(null),
  /** Post-copy runs only (null elsewhere, and in older results). */
  postCopy: PostCopyCost.nullable().default(null),
});
export type BenchSample = z.infer<typeof BenchSample>;

export const Machine = z.object({
  cpus: z.number().int().positive(),
  memoryGiB: z.number().positive(),
  kernel: z.string(),
  criu: z.string(),
  runc: z.string(),
  node: z.string(),
});
export type Machine = z.infer<typeof Machine>;

export const BenchResults = z.object({
  /** ISO time the run started. */
  date: z.string(),
  quick: z.boolean(),
  repetitions: z.number().int().positive(),
  machine: Machine,
  samples: z.array(BenchSample),
  /** Cases the machine cannot run, and why (e.g. pre-copy without soft-dirty). */
  skipped: z.array(z.object({ strategy: z.string(), reason: z.string() })),
});
export type BenchResults = z.infer<typeof BenchResults>;
