import { z } from 'zod';
import { Phase } from './phases';
import { Strategy } from './strategy';
import { Round } from './convergence';
import { Transport } from './transport';
import { ConnectionHandling } from './host-contract/source';

export const Outcome = z.enum(['migrated', 'rolled-back', 'failed']);
export type Outcome = z.infer<typeof Outcome>;

const Seconds = z.number().nonnegative().nullable();

/** The seed paper's Table II columns; null where the strategy has no such phase. */
export const PhaseSeconds = z.object({
  preDump: Seconds,
  preCopy: Seconds,
  checkpoint: Seconds,
  transfer: Seconds,
  restore: Seconds,
  /** From the source's freeze to the container running on the target. */
  downtime: Seconds,
  total: Seconds,
});
export type PhaseSeconds = z.infer<typeof PhaseSeconds>;

export const PhaseRecord = z.object({
  phase: Phase,
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  ok: z.boolean().nullable(),
});
export type PhaseRecord = z.infer<typeof PhaseRecord>;

/** What preflight learnt: the facts a strategy choice rests on. */
export const PreflightSummary = z.object({
  sourceCriu: z.string(),
  targetCriu: z.string(),
  /** Both hosts can track dirty memory (pre-copy possible). */
  memDirtyTrack: z.boolean(),
  /** Both hosts support non-cooperative userfaultfd (post-copy possible). */
  uffdNoncoop: z.boolean(),
  memoryBytes: z.number(),
  rootfsBytes: z.number(),
  targetFreeBytes: z.number(),
});
export type PreflightSummary = z.infer<typeof PreflightSummary>;

/** Where a host kept the logs of a run that did not migrate (files relative to `path`). */
export const RunDiagnostics = z.object({ host: z.string(), path: z.string(), files: z.array(z.string()) });
export type RunDiagnostics = z.infer<typeof RunDiagnostics>;

export const RollbackStep = z.object({ step: z.string(), ok: z.boolean(), detail: z.string().optional() });
export type RollbackStep = z.infer<typeof RollbackStep>;

/** Which migration a report or progress snapshot is about. */
const MigrationIdentity = z.object({
  workflowId: z.string(),
  container: z.string(),
  source: z.string(),
  target: z.string(),
});

/** One volume's move: its size, what crossed for it, and how long each copy took. */
export const VolumeReport = z.object({
  name: z.string(),
  destination: z.string(),
  /** Its size on the source at preflight. */
  bytes: z.number().nonnegative(),
  /** What rsync sent for it, both copies together. */
  sentBytes: z.number().nonnegative(),
  /** The copy while the container ran, and the exact sync after the freeze (part of the downtime). */
  prepareSeconds: Seconds,
  finalSyncSeconds: Seconds,
  /** The source's copy was kept (option keepSourceVolumes); otherwise removed at commit. */
  keptOnSource: z.boolean(),
});
export type VolumeReport = z.infer<typeof VolumeReport>;

/** The container's network across the move. */
export const NetworkReport = z.object({
  /** Its own address, which moved with it; null for a container in its host's network. */
  address: z.string().nullable(),
  /** Its established TCP connections at the freeze, and whether they were kept or closed; null before a freeze. */
  connections: ConnectionHandling.nullable(),
});
export type NetworkReport = z.infer<typeof NetworkReport>;

/** The front the container's clients came through, and what it did for them. */
export const FrontReport = z.object({
  name: z.string(),
  backend: z.string(),
  /** HAProxy's version, as preflight found it. */
  version: z.string(),
  /** From the hold before the freeze to the switch to the target: how long new requests waited. */
  heldSeconds: z.number().nullable(),
  /** How long the source took to finish its in-flight requests once held. */
  drainSeconds: z.number().nullable(),
  /** Sessions still on the source when the drain gave up waiting, shut down. */
  cut: z.number().int().nonnegative(),
  /** Requests that waited in the hold and went to the target at the switch. */
  released: z.number().int().nonnegative(),
});
export type FrontReport = z.infer<typeof FrontReport>;

/** What a post-copy run did after the container ran on the target. */
export const PostCopyReport = z.object({
  /** From the restore's end on the target to the source's last page: the time it ran on remote memory. */
  drainSeconds: z.number().nonnegative().nullable(),
});
export type PostCopyReport = z.infer<typeof PostCopyReport>;

export const MigrationReport = MigrationIdentity.extend({
  /** The strategy that ran (never `auto`), and why it was chosen. */
  strategy: Strategy,
  plan: z.object({ requested: Strategy, reason: z.string() }).nullable(),
  outcome: Outcome,
  /** Where the container runs now, or null when Godwit could not bring it back anywhere. */
  runningOn: z.string().nullable(),
  reason: z.string().nullable(),
  preflight: PreflightSummary.nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  seconds: PhaseSeconds,
  /** What carried the pages and the files (images, root file system): plain, or encrypted how. */
  transport: z.object({ pages: Transport, files: z.enum(['plain', 'ssh-tunnel']) }).default({ pages: 'plain', files: 'plain' }),
  /** `pages`: the memory image that reached the target; the rest: what each channel carried. */
  bytes: z.object({ pages: z.number(), viaPageServer: z.number(), viaRsync: z.number(), total: z.number() }),
  /** Pre-copy rounds, and why they stopped. */
  rounds: z.array(Round),
  convergence: z.string().nullable(),
  phases: z.array(PhaseRecord),
  rollback: z.array(RollbackStep),
  warnings: z.array(z.string()),
  /** Images left on a host on purpose (option keepImages); nothing else of a run stays. */
  keptImages: z.array(z.object({ host: z.string(), path: z.string() })).default([]),
  /** The container's volumes and how they moved (none: empty). */
  volumes: z.array(VolumeReport).default([]),
  /**
   * CRIU's and runc's logs of a rolled-back or failed run, on each host that had them; empty
   * for a migrated run (and absent from reports written before this field).
   */
  diagnostics: z.array(RunDiagnostics).default([]),
  /** Absent from reports written before this field. */
  network: NetworkReport.default({ address: null, connections: null }),
  /** Null when no front is in front of it (and in reports written before this field). */
  front: FrontReport.nullable().default(null),
  /** Null unless post-copy ran (and in reports written before this field). */
  postCopy: PostCopyReport.nullable().default(null),
});
export type MigrationReport = z.infer<typeof MigrationReport>;

export const Progress = MigrationIdentity.extend({
  phase: Phase,
  strategy: Strategy,
  rounds: z.array(Round),
  elapsedSeconds: z.number(),
  bytesMoved: z.number(),
  aborting: z.boolean(),
  phases: z.array(PhaseRecord),
});
export type Progress = z.infer<typeof Progress>;

/** Measurements the workflow collects on its way; the report is derived from them. */
export interface Measurements {
  startedAt: number;
  finishedAt: number;
  phases: PhaseRecord[];
  frozenAt: number | null;
  runningAt: number | null;
  rounds: readonly Round[];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Wall time spent in a phase (summed over its records), or null if it never started. */
export function phaseSeconds(phases: readonly PhaseRecord[], phase: Phase): number | null {
  const records = phases.filter((p) => p.phase === phase && p.endedAt !== null);
  if (records.length === 0) return null;
  return round3(records.reduce((sum, p) => sum + ((p.endedAt ?? p.startedAt) - p.startedAt), 0) / 1000);
}

export function computeSeconds(m: Measurements): PhaseSeconds {
  const downtime =
    m.frozenAt !== null && m.runningAt !== null && m.runningAt >= m.frozenAt ? round3((m.runningAt - m.frozenAt) / 1000) : null;
  return {
    // Pre-dump: CRIU's time in the rounds; pre-copy: the whole phase, page servers and all.
    preDump: m.rounds.length === 0 ? null : round3(m.rounds.reduce((sum, r) => sum + r.seconds, 0)),
    preCopy: phaseSeconds(m.phases, 'precopy'),
    checkpoint: phaseSeconds(m.phases, 'checkpoint'),
    transfer: phaseSeconds(m.phases, 'transfer'),
    restore: phaseSeconds(m.phases, 'restore'),
    downtime,
    total: round3(Math.max(0, m.finishedAt - m.startedAt) / 1000),
  };
}
