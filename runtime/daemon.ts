// Long-lived helpers a step leaves running after it returns (CRIU's lazy-pages daemon, a
// post-copy dump serving pages). Started by start-stop-daemon (Debian's dpkg, always there)
// so they are detached, leave a pidfile a retry can find, and work the same over SSH.
import type { HostRuntime } from './host-runtime';

export interface DaemonSpec {
  command: string;
  args: readonly string[];
  pidFile: string;
  /** stdout and stderr of the daemon. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export async function startDaemon(rt: HostRuntime, spec: DaemonSpec): Promise<void> {
  await rt.executeOk('start-stop-daemon', [
    '--start', '--background', '--make-pidfile', '--pidfile', spec.pidFile,
    '--output', spec.logFile, '--startas', spec.command, '--', ...spec.args,
  ], { env: spec.env });
}

/**
 * The daemon's pid while it runs, else null. `marker` is a path only this daemon's
 * arguments mention (a run's directory, or one below it): a recycled pid or a wrapper that
 * exec'd something else does not count.
 */
export async function daemonPid(rt: HostRuntime, pidFile: string, marker: string): Promise<number | null> {
  if (!(await rt.exists(pidFile))) return null;
  const pid = Number((await rt.readFile(pidFile)).toString('utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const argv = (await rt.readFile(`/proc/${pid}/cmdline`)).toString('utf8').split('\0');
    return mentions(argv, marker) ? pid : null;
  } catch {
    return null;
  }
}

/** Whether an argument is `dir` or a path below it, alone or as `--option=path`. */
export function mentions(argv: readonly string[], dir: string): boolean {
  return argv.some((arg) => arg === dir || arg.endsWith(`=${dir}`) || arg.includes(`${dir}/`));
}

/** Asks the daemon to stop, then kills it if it has not gone within `graceMs`. */
export async function stopDaemon(rt: HostRuntime, pidFile: string, marker: string, graceMs = 10_000): Promise<void> {
  const pid = await daemonPid(rt, pidFile, marker);
  if (pid === null) return;
  await rt.execute('kill', ['-TERM', String(pid)]);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if ((await daemonPid(rt, pidFile, marker)) === null) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await rt.execute('kill', ['-KILL', String(pid)]);
}
