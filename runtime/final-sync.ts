// The root file system's last sync, after the freeze, exact whatever the clock says. rsync's
// quick check skips a file whose size and mtime (whole seconds) match the target's copy, so a
// file rewritten with the same size in the second of the previous sync arrived stale
// (measured). Every write moves a file's ctime, though, and ctime cannot be set back: the
// files whose ctime is within the window since the first sync began are sent again with the
// quick check off. The rest, unchanged since then, are not read twice.
import path from 'node:path';
import type { ExecOptions } from './exec';
import type { HostRuntime } from './host-runtime';
import type { Rsync, RsyncTarget } from './rsync';

/**
 * Regular files and links below `dir` (relative to it) whose ctime is within the last
 * `seconds` by its host's clock (find runs there: the clock that set them); every one when
 * `seconds` is null.
 */
export async function changedWithin(rt: HostRuntime, dir: string, seconds: number | null, options?: ExecOptions): Promise<string[]> {
  // GNU find compares fractional minutes exactly; rounded up, so the window only grows. One
  // command: over SSH each is a round trip, and the container is frozen.
  const recent = seconds === null ? [] : ['-cmin', `-${Math.ceil((seconds / 60) * 1000) / 1000}`];
  const found = await rt.executeOk('find', [dir, ...recent, '(', '-type', 'f', '-o', '-type', 'l', ')', '-printf', '%P\\0'], options);
  return found.stdout.split('\0').filter((p) => p !== '');
}

/**
 * Sends every file changed within `changedWithinSeconds` with the quick check off (with no
 * window given, a run started by an older orchestrator: every file), then mirrors `dir` to
 * `target` (new and deleted files; the ones just sent now match and are skipped, so no file is
 * sent twice). Returns the bytes sent.
 */
export async function syncExactly(
  rt: HostRuntime,
  rsync: Rsync,
  dir: string,
  target: RsyncTarget,
  opts: { changedWithinSeconds?: number; listFile: string },
  options?: ExecOptions,
): Promise<number> {
  const changed = await changedWithin(rt, dir, opts.changedWithinSeconds ?? null, options);
  let sent = 0;
  if (changed.length > 0) {
    await rt.mkdirp(path.dirname(opts.listFile));
    await rt.writeFile(opts.listFile, `${changed.join('\0')}\0`);
    sent += await rsync.push(dir, target, { mirror: false, exactly: opts.listFile }, options);
  }
  return sent + (await rsync.push(dir, target, { mirror: true }, options));
}
