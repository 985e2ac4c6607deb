import { ConvergencePolicy, decide, estimateDowntime, type Round } from '../../policy/convergence';

const policy = ConvergencePolicy.parse({});
const MiB = 1024 * 1024;

/** A round that wrote `pages` pages at `rate` bytes per second. */
function round(n: number, pages: number, skipped = 0, rate = 100 * MiB): Round {
  const bytes = pages * 4096;
  return { round: n, pagesWritten: pages, pagesSkipped: skipped, bytes, seconds: bytes / rate };
}

describe('convergence policy', () => {
  it('documents its defaults', () => {
    expect(policy).toEqual({ maxRounds: 8, minPages: 64, growthPercent: 10, inSyncPercent: 70, timeBudgetSeconds: 300 });
  });

  it('asks for a first round before anything else', () => {
    expect(decide([], 0, policy, 1).next).toBe('pre-dump');
  });

  it('keeps going while rounds shrink but are still large', () => {
    // 1 GiB at 100 MiB/s: 10.24 s to send again, far over the 1 s target.
    const v = decide([round(1, 262_144)], 10, policy, 1);
    expect(v).toMatchObject({ next: 'pre-dump' });
    expect(v.estimatedDowntimeSeconds).toBeCloseTo(10.24, 5);
  });

  it('stops when the last round wrote few pages', () => {
    expect(decide([round(1, 262_144), round(2, 60)], 12, policy, 1).reason).toMatch(/^converged: round 2 wrote 60 pages/);
  });

  it('stops when a round grew: the workload dirties faster than the link copies', () => {
    const v = decide([round(1, 200_000), round(2, 100_000), round(3, 120_000)], 20, policy, 1);
    expect(v.next).toBe('final-dump');
    expect(v.reason).toMatch(/^not converging: round 3 wrote 120000 pages, more than 100000/);
  });

  it('tolerates growth within the allowance', () => {
    expect(decide([round(1, 200_000), round(2, 100_000), round(3, 109_000)], 20, policy, 1).next).toBe('pre-dump');
  });

  it('stops when the estimated downtime meets the target', () => {
    // 20,000 pages (78 MiB) at 100 MiB/s: 0.78 s.
    const v = decide([round(1, 262_144), round(2, 20_000)], 12, policy, 1);
    expect(v.reason).toMatch(/^estimated downtime 0.78s is within 1s/);
  });

  it('stops when most of memory is already in sync (LXD-style)', () => {
    const v = decide([round(1, 262_144, 0, 10 * MiB), round(2, 60_000, 200_000, 10 * MiB)], 40, policy, 1);
    expect(v.reason).toMatch(/^in sync: 77% of memory unchanged since round 1/);
  });

  it('stops at the round cap and at the time budget', () => {
    const slow = (n: number) => round(n, 250_000 - n * 100, 0, 10 * MiB);
    const eight = Array.from({ length: 8 }, (_, i) => slow(i + 1));
    expect(decide(eight, 50, policy, 1).reason).toBe('round cap: 8 rounds');
    expect(decide(eight.slice(0, 3), 301, policy, 1).reason).toBe('time budget: 301s of 300s spent');
  });

  it('estimates nothing from a round that moved nothing', () => {
    expect(estimateDowntime({ round: 1, pagesWritten: 0, pagesSkipped: 5, seconds: 0, bytes: 0 })).toBeNull();
  });

  it('rejects a policy with nonsense values', () => {
    expect(ConvergencePolicy.safeParse({ maxRounds: 0 }).success).toBe(false);
    expect(ConvergencePolicy.safeParse({ inSyncPercent: 120 }).success).toBe(false);
    expect(ConvergencePolicy.safeParse({ bogus: 1 }).success).toBe(false);
  });
});
