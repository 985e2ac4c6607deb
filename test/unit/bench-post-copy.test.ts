// What post-copy costs the workload, from the probe's readings and the report's phase times.
import { counterRate, postCopyCost } from '../../bench/post-copy';
import { MigrationReport } from '../../policy/report';

/** A counter ticking `rate` a second from t=0, read every 10 ms up to `until` ms. */
const ticking = (rate: number, until: number) => Array.from({ length: until / 10 + 1 }, (_, i) => ({ at: i * 10, counter: Math.floor((i * 10 * rate) / 1000) }));

describe('post-copy cost', () => {
  it('measures the rate between the first and last reading inside a window', () => {
    expect(counterRate(ticking(100, 2000), 0, 1000)).toBe(100);
    expect(counterRate(ticking(100, 2000), 5000, 6000)).toBeNull(); // nothing read there
  });

  it('compares the drain (restore end to last page) with before the freeze (probe start to checkpoint start)', () => {
    // 100 ticks/s before the freeze at 1 s, frozen until 2 s, then 50 ticks/s while pages come, until 3 s.
    const readings = [...ticking(100, 1000), ...Array.from({ length: 101 }, (_, i) => ({ at: 2000 + i * 10, counter: 100 + Math.floor(i * 0.5) }))];
    const report = MigrationReport.parse({
      workflowId: 'w', container: 'c', source: 'alpha', target: 'beta', strategy: 'post-copy', plan: null, outcome: 'migrated', runningOn: 'beta', reason: null, preflight: null,
      startedAt: '', finishedAt: '', seconds: { preDump: null, preCopy: null, checkpoint: null, transfer: null, restore: null, downtime: 1, total: 3 },
      bytes: { pages: 0, viaPageServer: 0, viaRsync: 0, total: 0 }, rounds: [], convergence: null, rollback: [], warnings: [],
      phases: [
        { phase: 'checkpoint', startedAt: 1000, endedAt: 1200, ok: true },
        { phase: 'restore', startedAt: 1500, endedAt: 2000, ok: true },
      ],
      postCopy: { drainSeconds: 1 },
    });
    expect(postCopyCost(readings, report, 0)).toEqual({ drainSeconds: 1, rateBefore: 100, rateDuringDrain: 50 });
    expect(postCopyCost(readings, { ...report, outcome: 'rolled-back' }, 0)).toBeNull();
    expect(postCopyCost(readings, { ...report, postCopy: null }, 0)).toBeNull();
  });
});
