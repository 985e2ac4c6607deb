import { planStrategy, type PlanFacts } from '../../policy/strategy';

const MiB = 1024 * 1024;
const both = { memDirtyTrack: true, uffdNoncoop: true };
const noSoftDirty = { memDirtyTrack: false, uffdNoncoop: true };

function facts(over: Partial<PlanFacts> = {}): PlanFacts {
  return { source: 'alpha', target: 'beta', sourceFeatures: both, targetFeatures: both, memoryBytes: 256 * MiB, linkBytesPerSecond: 100 * MiB, ...over };
}

const auto = { requested: 'auto' as const, maxDowntimeSeconds: 1, allowExperimental: false };

describe('strategy planner', () => {
  it('streams small memory in one dump: it fits the downtime target', () => {
    const plan = planStrategy(facts({ memoryBytes: 64 * MiB }), auto);
    expect(plan).toEqual({ ok: true, strategy: 'page-server', reason: '64 MiB at 100 MiB/s takes about 0.64s frozen, within the 1s target: one streamed dump' });
  });

  it('pre-copies large memory when both kernels track dirty pages', () => {
    const plan = planStrategy(facts({ memoryBytes: 1024 * MiB }), auto);
    expect(plan).toMatchObject({ ok: true, strategy: 'pre-copy' });
    expect(plan.ok && plan.reason).toMatch(/^1024 MiB at 100 MiB\/s takes about 10.24s frozen, over the 1s target/);
  });

  it('falls back to the page server, saying why, when a kernel cannot track dirty pages', () => {
    const plan = planStrategy(facts({ memoryBytes: 1024 * MiB, targetFeatures: noSoftDirty }), auto);
    expect(plan).toMatchObject({ ok: true, strategy: 'page-server' });
    expect(plan.ok && plan.reason).toMatch(/but beta cannot track dirty memory/);
  });

  it('chooses post-copy for auto only when experimental strategies are allowed', () => {
    const f = facts({ memoryBytes: 1024 * MiB, sourceFeatures: noSoftDirty, targetFeatures: noSoftDirty });
    expect(planStrategy(f, { ...auto, allowExperimental: true })).toMatchObject({ ok: true, strategy: 'post-copy' });
    expect(planStrategy(f, auto)).toMatchObject({ ok: true, strategy: 'page-server' });
  });

  it('assumes a gigabit link when nothing was measured, and says so', () => {
    const plan = planStrategy(facts({ linkBytesPerSecond: null, memoryBytes: 100 * MiB }), auto);
    expect(plan.ok && plan.reason).toMatch(/^100 MiB at 119 MiB\/s \(assumed\) takes about 0.84s frozen/);
  });

  it('refuses pre-copy on a kernel without soft-dirty, naming the hosts and the feature', () => {
    const plan = planStrategy(facts({ sourceFeatures: noSoftDirty, targetFeatures: noSoftDirty }), { ...auto, requested: 'pre-copy' });
    expect(plan).toEqual({ ok: false, error: 'pre-copy needs dirty memory tracking (kernel CONFIG_MEM_SOFT_DIRTY), which alpha and beta lack' });
  });

  it('refuses post-copy where userfaultfd is missing', () => {
    const plan = planStrategy(facts({ targetFeatures: { memDirtyTrack: true, uffdNoncoop: false } }), { ...auto, requested: 'post-copy' });
    expect(plan).toEqual({ ok: false, error: 'post-copy needs non-cooperative userfaultfd (criu check --feature uffd-noncoop), which beta lacks' });
  });

  it('keeps an explicit choice the hosts can run', () => {
    expect(planStrategy(facts(), { ...auto, requested: 'stop-and-copy' })).toEqual({ ok: true, strategy: 'stop-and-copy', reason: 'requested' });
  });
});
