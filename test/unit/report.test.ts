import { MigrationReport, computeSeconds, phaseSeconds, type PhaseRecord } from '../../policy/report';
import { formatStatus } from '../../client/format';
import { reportOf } from './cli-fixtures';

const phases: PhaseRecord[] = [
  { phase: 'preflight', startedAt: 0, endedAt: 400, ok: true },
  { phase: 'checkpoint', startedAt: 400, endedAt: 1650, ok: true },
  { phase: 'transfer', startedAt: 1650, endedAt: 2000, ok: true },
  { phase: 'restore', startedAt: 2000, endedAt: 2900, ok: true },
  { phase: 'verify', startedAt: 2900, endedAt: null, ok: null },
];

describe('report arithmetic', () => {
  it('gives each phase its wall time and leaves absent phases empty', () => {
    const s = computeSeconds({ startedAt: 0, finishedAt: 3500, phases, frozenAt: 10_500, runningAt: 12_250, rounds: [] });
    expect(s).toEqual({ preDump: null, preCopy: null, checkpoint: 1.25, transfer: 0.35, restore: 0.9, downtime: 1.75, total: 3.5 });
  });

  it('has no downtime when the container never ran on the target', () => {
    expect(computeSeconds({ startedAt: 0, finishedAt: 1, phases, frozenAt: 5, runningAt: null, rounds: [] }).downtime).toBeNull();
  });

  it('counts pre-dump time from the rounds and pre-copy from the phase', () => {
    const withRounds: PhaseRecord[] = [{ phase: 'precopy', startedAt: 0, endedAt: 3000, ok: true }];
    const rounds = [
      { round: 1, pagesWritten: 1000, pagesSkipped: 0, seconds: 1.5, bytes: 4_096_000 },
      { round: 2, pagesWritten: 100, pagesSkipped: 900, seconds: 0.25, bytes: 409_600 },
    ];
    const s = computeSeconds({ startedAt: 0, finishedAt: 5000, phases: withRounds, frozenAt: null, runningAt: null, rounds });
    expect(s.preDump).toBe(1.75);
    expect(s.preCopy).toBe(3);
  });

  it('sums a phase that ran more than once and ignores one still open', () => {
    const twice: PhaseRecord[] = [
      { phase: 'checkpoint', startedAt: 0, endedAt: 1000, ok: false },
      { phase: 'checkpoint', startedAt: 2000, endedAt: 2500, ok: true },
      { phase: 'restore', startedAt: 3000, endedAt: null, ok: null },
    ];
    expect(phaseSeconds(twice, 'checkpoint')).toBe(1.5);
    expect(phaseSeconds(twice, 'restore')).toBeNull();
  });
});

describe('diagnostics in the report', () => {
  it('are absent from reports written before them, and read as none', () => {
    const old: Record<string, unknown> = { ...reportOf() };
    delete old.diagnostics;
    expect(MigrationReport.parse(old).diagnostics).toEqual([]);
  });

  it("a failed run's status says where its logs are, after the rollback steps", () => {
    const report = reportOf({
      outcome: 'failed',
      runningOn: null,
      rollback: [{ step: 'stopTargetContainer', ok: false, detail: 'post-copy: ...' }],
      diagnostics: [{ host: 'alpha', path: '/s/diagnostics/web/run-1', files: ['dump/dump.log', 'dump/runc.out'] }],
    });
    const text = formatStatus({ state: 'finished', workflowId: report.workflowId, report });
    expect(text).toContain('rollback:\n  FAIL stopTargetContainer: post-copy: ...\nlogs kept (CRIU, runc):\n  alpha /s/diagnostics/web/run-1: dump/dump.log, dump/runc.out\n');
  });
});
