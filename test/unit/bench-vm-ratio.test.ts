// Pre-copy's gain in the VM: the ratio is taken only between two migrations that happened.
import { renderVmRatio, summarizeVmRatio } from '../../bench/vm-ratio-summary';

const leg = (outcome: 'migrated' | 'rolled-back', downtime: number | null, rounds: number[] = []) => ({
  report: {
    outcome,
    seconds: { preDump: null, preCopy: null, checkpoint: null, transfer: null, restore: null, downtime, total: null },
    rounds: rounds.map((pagesWritten, i) => ({ round: i + 1, pagesWritten, pagesSkipped: 0, seconds: 1, bytes: pagesWritten * 4096 })),
    convergence: rounds.length > 0 ? 'converged' : null,
  },
  counter: { beforeFreeze: 10, afterRestore: outcome === 'migrated' ? 20 : null },
});

describe('VM ratio', () => {
  it('divides pre-copy downtime by stop-and-copy downtime and judges it against one half', () => {
    const met = summarizeVmRatio(leg('migrated', 8), leg('migrated', 2, [16_000, 900]));
    expect(met.ratio).toBe(0.25);
    expect(met.met).toBe(true);
    expect(met.preCopy?.rounds).toEqual([16_000, 900]);
    expect(met.preCopy?.counterContinued).toBe(true);
    expect(summarizeVmRatio(leg('migrated', 4), leg('migrated', 3)).met).toBe(false);
  });

  it('gives no ratio when either side did not migrate, and says so in the table', () => {
    const rolledBack = summarizeVmRatio(leg('migrated', 4), leg('rolled-back', null));
    expect(rolledBack.ratio).toBeNull();
    expect(rolledBack.met).toBeNull();
    expect(rolledBack.preCopy?.counterContinued).toBe(false);
    const notRun = summarizeVmRatio(leg('rolled-back', null), null);
    expect(notRun.preCopy).toBeNull();
    const table = renderVmRatio(notRun, { date: 'd', kernel: 'k', memoryMib: 64, dirtyMibPerSec: 3 });
    expect(table).toContain('not run (stop-and-copy did not migrate)');
    expect(table).toContain('not measured');
  });
});
