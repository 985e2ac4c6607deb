// Pre-copy needs a kernel that tracks dirty memory, which this machine's lacks: boot one
// (Debian's, in a VM) and run a real pre-copy migration there, through the whole chain, then
// a post-copy one back (lazy page transfer works on that kernel, not on the lab's 6.18).
import { runPrecopyInVm, vmAvailability } from '../../infra/kernel/run-vm-check';

const vm = vmAvailability();
if (!vm.ok) console.warn(`kernel test SKIPPED: ${vm.reason}`);

(vm.ok ? describe : describe.skip)('pre-copy on a kernel with dirty-memory tracking (VM)', () => {
  it('pre-dumps in rounds that shrink, then migrates with the counter continuing; and back with post-copy', async () => {
    if (!vm.ok) return;
    const { report, counter, postCopy, fencing } = await runPrecopyInVm(vm);
    // Fencing under pure cgroup v2 (the lab machine is v1): nothing written after the freeze.
    expect(fencing.cgroup).toBe('v2');
    expect(fencing.afterDestroy).toEqual(fencing.atFreeze);
    expect(fencing.held).toBe(true);
    expect(report.reason).toBeNull();
    expect(report.outcome).toBe('migrated');
    expect(report.strategy).toBe('pre-copy');
    expect(report.rounds.length).toBeGreaterThanOrEqual(2);
    const [first, ...later] = report.rounds;
    for (const r of later) expect(r.pagesWritten).toBeLessThan(first.pagesWritten);
    expect(first.pagesWritten).toBeGreaterThan(10_000); // the 64 MiB the workload holds
    expect(counter.afterRestore).toBeGreaterThan(counter.beforeFreeze);
    console.log(
      `VM pre-copy: rounds ${report.rounds.map((r) => r.pagesWritten).join(' > ')} pages; ${report.convergence}; downtime ${report.seconds.downtime}s`,
    );
    // Back with post-copy (experimental): on this kernel CRIU's lazy page transfer works
    // (on the lab machines' 6.18 it does not; see the e2e suite).
    expect(postCopy).not.toBeNull();
    const back = postCopy as NonNullable<typeof postCopy>;
    expect(back.report.reason).toBeNull();
    expect(back.report.outcome).toBe('migrated');
    expect(back.report.strategy).toBe('post-copy');
    expect(back.counter.afterRestore).toBeGreaterThan(back.counter.beforeFreeze);
    console.log(`VM post-copy: ${back.report.outcome}, downtime ${back.report.seconds.downtime}s${back.report.reason ? `; ${back.report.reason.split('\n')[0]}` : ''}`);
  }, 45 * 60_000);
});
