import { z } from 'zod';
import { CONTAINER_NAME_PATTERN, HOST_NAME_PATTERN } from './names';
import { Strategy } from './strategy';
import { ConvergencePolicy } from './convergence';
import { Transport } from './transport';
import { AbsolutePath } from './volumes';

export const HostName = z
  .string()
  .regex(HOST_NAME_PATTERN, 'a host name is 1-31 lowercase letters, digits or "-", starting with a letter');

export const ContainerName = z
  .string()
  .regex(
    CONTAINER_NAME_PATTERN,
    'a container name is 1-63 letters, digits, "_" or "-", starting with a letter or digit (no "/", "..", spaces or shell characters)',
  );

/** A command run inside the restored container; it must exit 0 for the target to be trusted. */
export const HealthCheck = z
  .object({
    exec: z.array(z.string().min(1).max(4096)).min(1).max(64),
    timeoutSeconds: z.number().int().min(1).max(300).default(10),
  })
  .strict();
export type HealthCheck = z.infer<typeof HealthCheck>;

const MiB = 1024 * 1024;

/**
 * The largest deleted-but-open file (a "ghost": open, with no name left) the dump may carry,
 * in bytes; CRIU's `ghost-limit`, which applies to each such file. CRIU's own default, 1 MiB,
 * is smaller than what services keep (a log rotated while the daemon still writes it, a spill
 * file unlinked on creation), and a dump that meets a bigger one fails after the freeze. The
 * ghost's bytes are copied into the images while the container is frozen and land on the
 * target's disk, so the limit is bounded: 1 GiB of them already costs seconds of downtime.
 */
export const DEFAULT_GHOST_LIMIT_BYTES = 64 * MiB;
export const MAX_GHOST_LIMIT_BYTES = 1024 * MiB;
export const GhostLimitBytes = z
  .number()
  .int()
  .min(0)
  .max(MAX_GHOST_LIMIT_BYTES, `at most ${MAX_GHOST_LIMIT_BYTES} bytes (1 GiB): a ghost file is copied while the container is frozen`);
export type GhostLimitBytes = z.infer<typeof GhostLimitBytes>;

export const MigrationOptions = z
  .object({
    /** How long a phase waits for a host's worker to pick up work before calling the host dead. */
    hostTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
    healthCheck: HealthCheck.optional(),
    /** Keep the checkpoint images on the target after a successful migration (for forensics). */
    keepImages: z.boolean().default(false),
    /** Downtime the planner and the pre-copy rounds aim for. */
    maxDowntimeSeconds: z.number().positive().max(3600).default(1),
    /**
     * Let `auto` choose post-copy (as KubeVirt's allowPostCopy). Off by default: once the
     * target runs, the source still holds pages, and a failure then cannot roll back.
     */
    allowPostCopy: z.boolean().default(false),
    /** The former name of allowPostCopy, still read: requests already in history replay with it. */
    allowExperimental: z.boolean().optional(),
    /** When pre-copy stops iterating; see policy/convergence.ts for the defaults. */
    convergence: ConvergencePolicy.default(ConvergencePolicy.parse({})),
    /** How pages and files cross the network; see policy/transport.ts. */
    transport: Transport.default('plain'),
    /**
     * Bind-mount sources on storage both hosts see (NFS, a cluster file system): left as they
     * are. Any other bind mount outside the source's volumesDir is refused in preflight.
     */
    sharedPaths: z.array(AbsolutePath).max(64).default([]),
    /**
     * New connections to the frozen source, from the freeze: `refuse` (a TCP reset: clients
     * fail over to the live copy at once) or `drop` (they wait for their own timeout).
     */
    frozenConnections: z.enum(['refuse', 'drop']).default('refuse'),
    /** Keep the source's copy of the volumes after the move (they are removed by default). */
    keepSourceVolumes: z.boolean().default(false),
    /** Per deleted-but-open file; see DEFAULT_GHOST_LIMIT_BYTES. */
    ghostLimitBytes: GhostLimitBytes.default(DEFAULT_GHOST_LIMIT_BYTES),
  })
  .strict();
export type MigrationOptions = z.infer<typeof MigrationOptions>;

/**
 * What a person, the CLI or a schedule asks for: one plain JSON object, so the Temporal UI's
 * "Start Workflow" form can send it as it is.
 */
export const MigrationRequest = z
  .object({
    container: ContainerName,
    source: HostName,
    target: HostName,
    strategy: Strategy.default('auto'),
    options: MigrationOptions.default(MigrationOptions.parse({})),
  })
  .strict()
  .refine((r) => r.source !== r.target, { message: 'source and target must be different hosts', path: ['target'] });
export type MigrationRequest = z.infer<typeof MigrationRequest>;
/** The request as a caller may write it, before defaults are filled in. */
export type MigrationRequestInput = z.input<typeof MigrationRequest>;

/** One readable line per problem, e.g. `container: a container name is ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'input';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseMigrationRequest(input: unknown): ParseResult<MigrationRequest> {
  const result = MigrationRequest.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `invalid migration request: ${describeZodError(result.error)}` };
}
