// What a migration knows about itself while it runs: the phase timeline, bytes moved,
// the freeze and resume instants. Progress and the final report are both views of it.
import type { MigrationRequest } from '../policy/request';
import { isPastPointOfNoReturn, type Phase } from '../policy/phases';
import {
  computeSeconds,
  type MigrationReport,
  type Outcome,
  type PhaseRecord,
  type PreflightSummary,
  type Progress,
  type RollbackStep,
} from '../policy/report';

export class MigrationTracker {
  phase: Phase = 'starting';
  readonly phases: PhaseRecord[] = [];
  pageBytes = 0;
  fileBytes = 0;
  frozenAt: number | null = null;
  runningAt: number | null = null;
  abortReason: string | null = null;
  preflight: PreflightSummary | null = null;
  readonly warnings: string[] = [];

  constructor(
    readonly request: MigrationRequest,
    readonly workflowId: string,
    readonly startedAt: number,
  ) {}

  get aborting(): boolean {
    return this.abortReason !== null;
  }

  get pastPointOfNoReturn(): boolean {
    return isPastPointOfNoReturn(this.phase);
  }

  /** Closes the current phase (successfully) and opens `phase`. */
  enter(phase: Phase, now: number): void {
    this.close(now, true);
    this.phase = phase;
    this.phases.push({ phase, startedAt: now, endedAt: null, ok: null });
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
      elapsedSeconds: Math.round(now - this.startedAt) / 1000,
      bytesMoved: this.pageBytes + this.fileBytes,
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
      strategy: this.request.strategy,
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
      }),
      bytes: { pages: this.pageBytes, files: this.fileBytes, total: this.pageBytes + this.fileBytes },
      phases: this.phases.map((p) => ({ ...p })),
      rollback: details.rollback,
      warnings: [...this.warnings],
    };
  }
}
