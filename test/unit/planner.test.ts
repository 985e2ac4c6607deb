import { planStrategy, type PlanFacts } from '../../policy/strategy';

const MiB = 1024 * 1024;
const both = { memDirtyTrack: true, uffdNoncoop: true };
const noSoftDirty = { memDirtyTrack: false, uffdNoncoop: true };

function facts(over: Partial<PlanFacts> = {}): PlanFacts {
  return { source: 'alpha', target: 'beta', sourceFeatures: both, targetFeatures: both, memoryBytes: 256 * MiB, linkBytesPerSecond: 100 * MiB, ...over };
}

const auto = { requested: 'auto' as const, maxDowntimeSeconds: 1, allowPostCopy: false };

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

  it('chooses post-copy for auto only when the request allows it, and says why', () => {
    const f = facts({ memoryBytes: 1024 * MiB, sourceFeatures: noSoftDirty, targetFeatures: noSoftDirty });
    const allowed = planStrategy(f, { ...auto, allowPostCopy: true });
    expect(allowed).toMatchObject({ ok: true, strategy: 'post-copy' });
    expect(allowed.ok && allowed.reason).toMatch(/over the 1s target, no dirty tracking on alpha and beta, and post-copy allowed: .*no way back once the restore began$/);
    const refused = planStrategy(f, auto);
    expect(refused).toMatchObject({ ok: true, strategy: 'page-server' });
    expect(refused.ok && refused.reason).toMatch(/post-copy is not allowed \(allowPostCopy\): one streamed dump/);
  });

  it('does not choose post-copy where the source cannot size the page server\'s pipe, and says so', () => {
    const narrowPipe = { ...noSoftDirty, lazyPagesPipe: { maxBytes: 1048576, privileged: false } };
    const plan = planStrategy(facts({ memoryBytes: 1024 * MiB, sourceFeatures: narrowPipe, targetFeatures: noSoftDirty }), { ...auto, allowPostCopy: true });
    expect(plan).toMatchObject({ ok: true, strategy: 'page-server' });
    expect(plan.ok && plan.reason).toMatch(/fs.pipe-max-size is 1048576 bytes/);
    // The target's pipe does not matter: only the source serves pages.
    const wideSource = { ...noSoftDirty, lazyPagesPipe: { maxBytes: 4194304, privileged: false } };
    expect(planStrategy(facts({ memoryBytes: 1024 * MiB, sourceFeatures: wideSource, targetFeatures: narrowPipe }), { ...auto, allowPostCopy: true })).toMatchObject({ strategy: 'post-copy' });
  });

  it('refuses a requested post-copy from a host whose pipe limit is too small, naming the fix', () => {
    const narrowPipe = { ...both, lazyPagesPipe: { maxBytes: 1048576, privileged: false } };
    const plan = planStrategy(facts({ sourceFeatures: narrowPipe }), { ...auto, requested: 'post-copy' });
    expect(plan).toEqual({
      ok: false,
      error:
        'post-copy needs host alpha to serve pages through a 4 MiB pipe, but its fs.pipe-max-size is 1048576 bytes and root there lacks CAP_SYS_RESOURCE; ' +
        'raise it on alpha (sysctl -w fs.pipe-max-size=4194304, which its worker does when it starts where /proc/sys is writable), or choose page-server',
    });
    // CAP_SYS_RESOURCE lifts the limit.
    const privileged = { ...both, lazyPagesPipe: { maxBytes: 1048576, privileged: true } };
    expect(planStrategy(facts({ sourceFeatures: privileged }), { ...auto, requested: 'post-copy' })).toEqual({ ok: true, strategy: 'post-copy', reason: 'requested' });
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
