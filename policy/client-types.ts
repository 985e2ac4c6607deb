// What a caller of the library (client/) gets back besides reports: each a zod schema, so
// the TypeScript type, the CLI's --json output and its tests all come from one definition.
import { z } from 'zod';
import { Phase } from './phases';
import { MigrationReport, Progress } from './report';

/**
 * How to reach Temporal, over and above Temporal's own conventions (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE, the TOML config file).
 */
export const ConnectOptions = z
  .object({
    /** host:port of the frontend; wins over the environment and the config file. */
    address: z.string().min(1).max(1000).optional(),
    namespace: z.string().min(1).max(255).optional(),
    /** A profile of the TOML config file (default: TEMPORAL_PROFILE, else "default"). */
    profile: z.string().min(1).max(255).optional(),
    /** The TOML config file (default: TEMPORAL_CONFIG_FILE, else Temporal's own path). */
    configFile: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type ConnectOptions = z.infer<typeof ConnectOptions>;

/** The answer to an accepted abort: the phase it arrived in, where rollback starts. */
export const AbortAccepted = z.object({ phase: Phase });
export type AbortAccepted = z.infer<typeof AbortAccepted>;

/**
 * Where one migration stands: running (with its progress), finished (with its report, also a
 * rolled-back or failed one), refused (invalid request or preflight: nothing changed), or
 * ended by something other than Godwit (terminated, timed out), which a person must look at.
 */
export const MigrationStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('running'), workflowId: z.string(), progress: Progress }),
  z.object({ state: z.literal('finished'), workflowId: z.string(), report: MigrationReport }),
  z.object({ state: z.literal('refused'), workflowId: z.string(), reason: z.string() }),
  z.object({ state: z.literal('ended'), workflowId: z.string(), status: z.string(), reason: z.string().nullable() }),
]);
export type MigrationStatus = z.infer<typeof MigrationStatus>;

/** A visibility query's row: the workflow and the search attributes the migration keeps. */
export const MigrationSummary = z.object({
  workflowId: z.string(),
  runId: z.string(),
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, ... */
  status: z.string(),
  startTime: z.string(),
  closeTime: z.string().nullable(),
  container: z.string().nullable(),
  source: z.string().nullable(),
  target: z.string().nullable(),
  phase: z.string().nullable(),
  strategy: z.string().nullable(),
  /** migrated, rolled-back, failed or refused once finished; null while it runs. */
  outcome: z.string().nullable(),
});
export type MigrationSummary = z.infer<typeof MigrationSummary>;

export const ListMigrationsOptions = z
  .object({
    /**
     * A visibility query over the search attributes, e.g. `GodwitSource = 'alpha' AND
     * GodwitOutcome = 'rolled-back'`; it is ANDed with the migration workflow type.
     */
    query: z.string().min(1).max(4000).optional(),
    limit: z.number().int().min(1).max(1000).default(20),
  })
  .strict();
export type ListMigrationsOptions = z.input<typeof ListMigrationsOptions>;
