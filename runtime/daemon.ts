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
    const argv = await argvOf(rt, pid);
    return argv && mentions(argv, marker) ? pid : null;
  } catch {
    return null;
  }
}

/** How many times an empty cmdline is read again, 5 ms apart, before the process counts as gone. */
const EXEC_RETRIES = 20;

/**
 * A process's arguments; null once it has exited. Its cmdline reads empty both while it
 * execs (start-stop-daemon becoming the daemon: about 1 % of reads in its first 20 ms here)
 * and as a zombie: only the state in /proc/<pid>/stat tells them apart. Read as gone, the
 * first made a post-copy dump that had just started look failed.
 */
async function argvOf(rt: HostRuntime, pid: number): Promise<string[] | null> {
  for (let attempt = 0; attempt < EXEC_RETRIES; attempt++) {
    const cmdline = (await rt.readFile(`/proc/${pid}/cmdline`)).toString('utf8');
    if (cmdline !== '') return cmdline.split('\0');
    // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = (await rt.readFile(`/proc/${pid}/stat`)).toString('utf8');
    const state = stat[stat.lastIndexOf(')') + 2];
    if (state === 'Z' || state === 'X') return null;
    await new Promise((r) => setTimeout(r, 5));
  }
  return null;
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
