import { computeSeconds, phaseSeconds, type PhaseRecord } from '../../policy/report';

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
