// Pre-copy needs a kernel that tracks dirty memory, which this machine's lacks: boot one
// (Debian's, in a VM) and run a real pre-copy migration there, through the whole chain.
import { runPrecopyInVm, vmAvailability } from '../../infra/kernel/run-vm-check';

const vm = vmAvailability();
if (!vm.ok) console.warn(`kernel test SKIPPED: ${vm.reason}`);

(vm.ok ? describe : describe.skip)('pre-copy on a kernel with dirty-memory tracking (VM)', () => {
  it('pre-dumps in rounds that shrink, then migrates with the counter continuing', async () => {
    if (!vm.ok) return;
    const { report, counter } = await runPrecopyInVm(vm);
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
  }, 25 * 60_000);
});
