// Link remaps across Godwit's dump. CRIU dumps a file that is open under a name since removed,
// while another hard link keeps the file, by making a hard link `link_remap.<id>` beside the
// removed name; the restore opens the file through that link, then removes it. But a dump
// that leaves the container in place (Godwit's, `--leave-running`: the frozen source is the
// way back) removes those links itself as it ends (criu/cr-dump.c, delete_link_remaps() when
// the final state is TASK_ALIVE), before the final sync could carry them, and the target's
// restore fails: `Can't link tmp/link_remap.6 -> tmp/linked.orig: No such file or directory`
// (measured). So, while the container is still frozen, the source makes the same links again
// from the open files; the final sync carries them (rsync -H: as hard links of the surviving
// name, so the restored file is that name's inode again); and they are removed from the source
// at commit or rollback, before anything thaws, so the container never sees them.
import path from 'node:path';
import type { RunRef } from '../../policy/host-contract';
import { frozenTogether } from '../../runtime/cgroup';
import { parseLinkRemaps, type LinkRemap } from '../../runtime/criu-images';
import type { HostContext } from './context';

/** An open file of the container, as /proc shows it to the host. */
export interface OpenFile {
  /** /proc/<pid>/fd/<n>: linking from it makes a new name for the very file. */
  fdPath: string;
  /** What the fd's link reads, e.g. `/tmp/linked.orig (deleted)`. */
  target: string;
  /** st_dev:st_ino, to tell apart two files that were removed under the same name. */
  inode: string;
  size: number;
}

/** For each link remap, the open file to link it from; refuses to guess. */
export function pickRemapSources(remaps: readonly LinkRemap[], open: readonly OpenFile[]): { link: string; fdPath: string }[] {
  return remaps.map((remap) => {
    const candidates = open.filter((f) => f.target === `${remap.original} (deleted)` && (remap.size === null || f.size === remap.size));
    const inodes = new Set(candidates.map((f) => f.inode));
    if (inodes.size !== 1) {
      const why = inodes.size === 0 ? 'no open file of the container is' : `${inodes.size} different open files are`;
      throw new Error(`CRIU dumped ${remap.original} through ${remap.link}, but ${why} that removed name; the restore could not reopen it`);
    }
    return { link: remap.link, fdPath: candidates[0].fdPath };
  });
}

/** The container's open files whose name was removed (one `find` per task, one `stat`). */
async function deletedOpenFiles({ rt }: HostContext, initPid: number): Promise<OpenFile[]> {
  const links: { fdPath: string; target: string }[] = [];
  for (const pid of await frozenTogether(rt, initPid)) {
    const found = await rt.execute('find', [`/proc/${pid}/fd`, '-mindepth', '1', '-maxdepth', '1', '-lname', '* (deleted)', '-printf', '%p\\0%l\\0']);
    if (found.code !== 0) continue; // a task that ended meanwhile has no fds to offer
    const fields = found.stdout.split('\0');
    for (let i = 0; i + 1 < fields.length; i += 2) links.push({ fdPath: fields[i], target: fields[i + 1] });
  }
  if (links.length === 0) return [];
  const stat = await rt.executeOk('stat', ['-L', '--printf', '%d:%i %s\\0', '--', ...links.map((l) => l.fdPath)]);
  const stats = stat.stdout.split('\0');
  return links.map((l, i) => {
    const [inode, size] = (stats[i] ?? '').split(' ');
    return { ...l, inode, size: Number(size) };
  });
}

/** The names as the host reaches them: through the container's root, so through its mounts. */
const inContainer = (initPid: number, link: string) => `/proc/${initPid}/root${link}`;

/**
 * After a final dump, with the container frozen: makes again the links CRIU made and removed.
 * Through /proc/<pid>/root, not the bundle's path: a hard link must stay on one mount, and the
 * file may be in a volume. Godwit follows the very path CRIU created moments before, in a
 * container frozen since before the dump, so it reaches nothing CRIU did not.
 */
export async function relinkRemaps(ctx: HostContext, run: RunRef, imagePath: string): Promise<string[]> {
  const { rt, runc, host, records } = ctx;
  const remapImage = path.join(imagePath, 'remap-fpath.img');
  // CRIU writes it only when a removed file was open; the usual dump pays one look, no more.
  if (!(await rt.exists(remapImage))) return [];
  const remaps = parseLinkRemaps(await rt.readFile(path.join(imagePath, 'files.img')), await rt.readFile(remapImage));
  if (remaps.length === 0) return []; // ghosts only: they travel inside the images
  const state = await runc.state(run.container);
  if (state === null) throw new Error(`container ${run.container} on host ${host.name} vanished during its dump`);
  const initPid = state.pid;
  const sources = pickRemapSources(remaps, await deletedOpenFiles(ctx, initPid));
  // Recorded first: a crash half-way must still let commit or rollback remove what was made.
  await records.write(records.relinks(run), { links: sources.map((s) => s.link) });
  for (const { link, fdPath } of sources) {
    // -L: link the file the fd is, not the /proc symlink; -f: a link an earlier attempt made.
    await rt.executeOk('ln', ['-f', '-L', '--', fdPath, inContainer(initPid, link)]);
  }
  return sources.map((s) => s.link);
}

/**
 * Removes the links `relinkRemaps` made, if any, while the container still exists: callers
 * run it before they thaw or destroy it. (Once destroyed, its root fs goes with the bundle;
 * only a link in a volume would stay, which a retry after the destroy cannot reach.)
 */
export async function dropRelinks(ctx: HostContext, run: RunRef): Promise<void> {
  const { rt, runc, records } = ctx;
  const made = await records.read(records.relinks(run));
  if (!made || made.links.length === 0) return;
  const state = await runc.state(run.container);
  if (state === null) return;
  await rt.executeOk('rm', ['-f', '--', ...made.links.map((link) => inContainer(state.pid, link))]);
  await records.write(records.relinks(run), { links: [] });
}
