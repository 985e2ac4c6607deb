// What a migration knows about itself while it runs: the phase timeline, bytes moved,
// the freeze and resume instants. Progress and the final report are both views of it.
import type { MigrationRequest } from '../policy/request';
import type { Round } from '../policy/convergence';
import { transportUsed } from '../policy/transport';
import type { ConcreteStrategy, Strategy } from '../policy/strategy';
import { isPastPointOfNoReturn, type Phase } from '../policy/phases';
import {
  computeSeconds,
  type MigrationReport,
  type Outcome,
  type PhaseRecord,
  type PreflightSummary,
  type Progress,
  type RollbackStep,
  type VolumeReport,
  type RunDiagnostics,
  type NetworkReport,
  type FrontReport,
  type PostCopyReport,
} from '../policy/report';
import type { VolumeCopy } from '../policy/host-contract';
import type { VolumeRef } from '../policy/volumes';

export class MigrationTracker {
  phase: Phase = 'starting';
  readonly phases: PhaseRecord[] = [];
  /** Size of the memory image on the target. */
  pageBytes = 0;
  pageServerBytes = 0;
  rsyncBytes = 0;
  plan: { requested: Strategy; strategy: ConcreteStrategy; reason: string } | null = null;
  readonly rounds: Round[] = [];
  convergence: string | null = null;
  frozenAt: number | null = null;
  runningAt: number | null = null;
  /** When the restore ended: `runningAt` until the admission moves that later. */
  restoredAt: number | null = null;
  postCopy: PostCopyReport | null = null;
  abortReason: string | null = null;
  preflight: PreflightSummary | null = null;
  readonly warnings: string[] = [];
  readonly keptImages: { host: string; path: string }[] = [];
  readonly volumes: VolumeReport[] = [];
  /** Where hosts kept the logs of this run, when it did not migrate. */
  readonly diagnostics: RunDiagnostics[] = [];
  readonly network: NetworkReport = { address: null, connections: null };
  /** `heldSince`: when the hold began (workflow time), for heldSeconds. */
  front: (FrontReport & { heldSince?: number }) | null = null;

  private listener: ((tracker: MigrationTracker) => void) | null = null;

  constructor(
    readonly request: MigrationRequest,
    readonly workflowId: string,
    readonly startedAt: number,
  ) {}

  /** The volumes preflight found; their copies are counted in by `volumeCopies`. */
  setVolumes(volumes: readonly VolumeRef[]): void {
    this.volumes.splice(0, this.volumes.length, ...volumes.map((v) => ({ ...v, sentBytes: 0, prepareSeconds: null, finalSyncSeconds: null, keptOnSource: false })));
  }

  volumeCopies(copies: readonly VolumeCopy[] | undefined, stage: 'prepareSeconds' | 'finalSyncSeconds'): void {
    for (const copy of copies ?? []) {
      const volume = this.volumes.find((v) => v.name === copy.name);
      if (!volume) continue;
      volume.sentBytes += copy.bytes;
      volume[stage] = Math.round(((volume[stage] ?? 0) + copy.seconds) * 1000) / 1000;
    }
  }

  /** `listener` hears of every new phase and round (the UI's view is kept current by it). */
  watch(listener: (tracker: MigrationTracker) => void): void {
    this.listener = listener;
  }

  changed(): void {
    this.listener?.(this);
  }

  get aborting(): boolean {
    return this.abortReason !== null;
  }

  /** Set once a post-copy restore returned: the target runs on the source's pages, only forward. */
  postCopyRunning = false;
  /** The target's clients were let in (once per run: post-copy does it before the drain). */
  admitted = false;

  get pastPointOfNoReturn(): boolean {
    return isPastPointOfNoReturn(this.phase) || this.postCopyRunning;
  }

  /** Closes the current phase (successfully) and opens `phase`. */
  enter(phase: Phase, now: number): void {
    this.close(now, true);
    this.phase = phase;
    this.phases.push({ phase, startedAt: now, endedAt: null, ok: null });
    this.changed();
  }

  /** Marks the open phase as ended, with its outcome. */
  close(now: number, ok: boolean): void {
    const open = this.phases[this.phases.length - 1];
    if (open && open.endedAt === null) {
      open.endedAt = now;
      open.ok = ok;
    }
  }

  progress(now: number): Progress {
    return {
      workflowId: this.workflowId,
      container: this.request.container,
      source: this.request.source,
      target: this.request.target,
      phase: this.phase,
      strategy: this.plan?.strategy ?? this.request.strategy,
      rounds: this.rounds.map((r) => ({ ...r })),
      elapsedSeconds: Math.round(now - this.startedAt) / 1000,
      bytesMoved: this.pageServerBytes + this.rsyncBytes,
      aborting: this.aborting,
      phases: this.phases.map((p) => ({ ...p })),
    };
  }

  report(outcome: Outcome, now: number, details: { reason: string | null; rollback: RollbackStep[] }): MigrationReport {
    const runningOn = outcome === 'migrated' ? this.request.target : outcome === 'rolled-back' ? this.request.source : null;
    return {
      workflowId: this.workflowId,
      container: this.request.container,
      source: this.request.source,
      target: this.request.target,
      strategy: this.plan?.strategy ?? this.request.strategy,
      plan: this.plan ? { requested: this.plan.requested, reason: this.plan.reason } : null,
      outcome,
      runningOn,
      reason: details.reason,
      preflight: this.preflight,
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date(now).toISOString(),
      seconds: computeSeconds({
        startedAt: this.startedAt,
        finishedAt: now,
        phases: this.phases,
        // Downtime only counts when the container really came back on the target.
        frozenAt: this.frozenAt,
        runningAt: outcome === 'migrated' ? this.runningAt : null,
        rounds: this.rounds,
      }),
      transport: transportUsed(this.request.options.transport),
      bytes: {
        pages: this.pageBytes,
        viaPageServer: this.pageServerBytes,
        viaRsync: this.rsyncBytes,
        total: this.pageServerBytes + this.rsyncBytes,
      },
      rounds: this.rounds.map((r) => ({ ...r })),
      convergence: this.convergence,
      phases: this.phases.map((p) => ({ ...p })),
      rollback: details.rollback,
      warnings: [...this.warnings],
      keptImages: this.keptImages.map((k) => ({ ...k })),
      volumes: this.volumes.map((v) => ({ ...v })),
      diagnostics: this.diagnostics.map((d) => ({ ...d, files: [...d.files] })),
      network: { address: this.network.address, connections: this.network.connections && { ...this.network.connections } },
      postCopy: this.postCopy && { ...this.postCopy },
      front: this.front && { name: this.front.name, backend: this.front.backend, version: this.front.version, heldSeconds: this.front.heldSeconds, drainSeconds: this.front.drainSeconds, cut: this.front.cut, released: this.front.released },
    };
  }
}
