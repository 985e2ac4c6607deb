// Host side of the kernel test: boots Debian's kernel (which tracks dirty memory) under
// qemu with virtme-ng, runs vm-migration.js inside, and returns what it found. Software
// emulation is used: a nested KVM guest hung at boot on these machines (see the field notes).
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FencingResult } from '../demo/fencing-check';
import { execute } from '../../runtime/exec';
import { MigrationReport } from '../../policy/report';
import { godwitHome } from '../lab/state';
import { projectRoot } from '../project-root';
import { writeWorkflowBundle } from './bundle-workflows';

export type VmAvailability = { ok: true; kernel: string; vng: string } | { ok: false; reason: string };

/** Whether a soft-dirty kernel VM can be booted here, and if not, why. */
export function vmAvailability(): VmAvailability {
  const vng = path.join(godwitHome(), 'vng-venv', 'bin', 'vng');
  if (!existsSync(vng)) return { ok: false, reason: `virtme-ng is not installed (${vng}); run infra/bootstrap.sh --with-vm` };
  if (!existsSync('/usr/bin/qemu-system-x86_64')) return { ok: false, reason: 'qemu-system-x86_64 is not installed' };
  const kernels = existsSync('/boot') ? readdirSync('/boot').filter((f) => /^vmlinuz-.*-amd64$/.test(f)).sort() : [];
  const kernel = kernels.find((k) => {
    const config = `/boot/config-${k.slice('vmlinuz-'.length)}`;
    return existsSync(config) && /^CONFIG_MEM_SOFT_DIRTY=y$/m.test(readFileSync(config, 'utf8'));
  });
  if (!kernel) return { ok: false, reason: 'no /boot/vmlinuz-*-amd64 with CONFIG_MEM_SOFT_DIRTY=y' };
  return { ok: true, kernel: path.join('/boot', kernel), vng };
}

interface VmRun {
  report: MigrationReport;
  counter: { beforeFreeze: number; afterRestore: number | null };
}

export interface VmMigrationResult extends VmRun {
  serverSeconds: number;
  /** The migration back, with post-copy; null when the pre-copy one did not migrate. */
  postCopy: VmRun | null;
  /** Destroying a frozen copy under the VM's pure cgroup v2 (infra/demo/fencing-check.ts). */
  fencing: FencingResult & { cgroup: string };
}

/** Newest modification time of anything in `dir` (the VM mirrors its logs there every 5 s). */
function lastActivity(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** A guest that wrote nothing for this long has hung (seen once under emulation). */
const STALL_MS = 8 * 60_000;

type Plan = 'check' | 'ratio';

/** Boots the VM and runs the plan's migrations once; what it wrote, or null when the guest hung and was stopped. */
async function attempt(vm: Extract<VmAvailability, { ok: true }>, bundle: string, script: string, plan: Plan): Promise<Record<string, unknown> | null> {
  // A directory the VM writes its progress and CRIU logs to, readable here while it runs.
  const share = mkdtempSync(path.join(godwitHome(), 'kernel', 'run-'));
  const progress = () => (existsSync(path.join(share, 'progress.log')) ? readFileSync(path.join(share, 'progress.log'), 'utf8') : '(no progress)');
  const resultFile = path.join(share, 'result.json');
  const stop = new AbortController();
  const started = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - Math.max(started, lastActivity(share)) > STALL_MS) stop.abort();
  }, 10_000);
  const result = await execute(
    vm.vng,
    [
      '--run', vm.kernel, '--disable-microvm', '--disable-kvm', '--memory', '3G', '--cpus', '2', `--rwdir=${share}`, '--',
      'env', `GODWIT_HOME=${godwitHome()}`, `GODWIT_WORKFLOW_BUNDLE=${bundle}`, `GODWIT_VM_SHARE=${share}`, `GODWIT_VM_PLAN=${plan}`, process.execPath, script,
    ],
    {
      timeoutMs: 20 * 60_000,
      signal: stop.signal,
      // The VM's console goes nowhere: given pipes, virtme-ng falls back to a limited
      // redirection under which the guest stalled. Results come back through the share.
      stdio: 'null',
      // virtme-ng finds its helpers (virtme-run) on PATH.
      env: { ...process.env, PATH: `${path.dirname(vm.vng)}:${process.env.PATH ?? ''}` },
    },
  ).finally(() => clearInterval(watchdog));
  if (stop.signal.aborted && !existsSync(resultFile)) {
    console.warn(`kernel VM: no sign of life for ${STALL_MS / 60_000} minutes, stopped it (logs in ${share}); progress:\n${progress()}`);
    return null;
  }
  if (!existsSync(resultFile)) throw new Error(`the VM wrote no result (vng exit ${result.code}); its progress (logs in ${share}):\n${progress()}`);
  const parsed = JSON.parse(readFileSync(resultFile, 'utf8')) as { error?: string } & Record<string, unknown>;
  if (parsed.error) throw new Error(`inside the VM: ${parsed.error}\nprogress (logs in ${share}):\n${progress()}`);
  return parsed;
}

/** Boots the VM for a plan, once more if the guest hung (no log written for 8 minutes). */
async function inVm(vm: Extract<VmAvailability, { ok: true }>, plan: Plan): Promise<Record<string, unknown>> {
  const bundle = path.join(godwitHome(), 'kernel', 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const script = path.join(projectRoot(), 'dist', 'infra', 'kernel', 'vm-migration.js');
  const first = await attempt(vm, bundle, script, plan);
  if (first) return first;
  const second = await attempt(vm, bundle, script, plan);
  if (second) return second;
  throw new Error('the kernel VM hung twice; see the warnings above for its logs');
}

const parseRun = (run: VmRun): VmRun => ({ ...run, report: MigrationReport.parse(run.report) });

/** Stop-and-copy and pre-copy of one dirtying workload in the VM (vm-migration.ts, plan `ratio`). */
export interface VmRatioRuns {
  stopAndCopy: VmRun;
  /** Null when stop-and-copy did not migrate (pre-copy then starts from the wrong host). */
  preCopy: VmRun | null;
  serverSeconds: number;
  memoryMib: number;
  dirtyMibPerSec: number;
}

export async function runRatioInVm(vm: Extract<VmAvailability, { ok: true }>): Promise<VmRatioRuns> {
  const out = (await inVm(vm, 'ratio')).ratio as VmRatioRuns;
  return { ...out, stopAndCopy: parseRun(out.stopAndCopy), preCopy: out.preCopy ? parseRun(out.preCopy) : null };
}

/**
 * Runs the migrations in the VM. A guest that hangs (no log written for 8 minutes: seen once
 * in pre-dump round 2 under software emulation) is stopped and booted once more; a
 * migration that fails is reported as it is, never retried.
 */
export async function runPrecopyInVm(vm: Extract<VmAvailability, { ok: true }>): Promise<VmMigrationResult> {
  const out = (await inVm(vm, 'check')).result as VmMigrationResult;
  return { ...parseRun(out), serverSeconds: out.serverSeconds, fencing: out.fencing, postCopy: out.postCopy ? parseRun(out.postCopy) : null };
}
