// What a process holds must move with it: file locks (runc's --file-locks on the final dump
// and on every restore), deleted-but-open files up to the migration's ghost limit (a per-dump
// CRIU config line), and files reopened through a link remap, whose links CRIU removes as a
// --leave-running dump ends and the source makes again while frozen (activities/host/link-remaps.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_GHOST_LIMIT_BYTES } from '../../policy/request';
import { imageEntries, isLinkRemapPath, parseLinkRemaps, REMAP_FPATH_MAGIC, type LinkRemap } from '../../runtime/criu-images';
import { criuGhostLimitOption } from '../../runtime/criu';
import { pickRemapSources, type OpenFile } from '../../activities/host/link-remaps';
import type { Call } from './memory-runtime';
import { RUN, runcCalls, testHost, type TestHost } from './host-harness';

// Written by CRIU 4.2.1 dumping test/fixtures/holder.c on this machine (its dir a bind mount
// at /data): fd 4 a ghost (/tmp/ghost, 4 MiB); fd 5 reopened through /tmp/link_remap.6
// (/tmp/linked.orig, 64 KiB) and fd 6 through /data/link_remap.8 (/data/linked.orig).
const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'link-remap-dump', name));
const FILES_IMG = fixture('files.img');
const REMAP_IMG = fixture('remap-fpath.img');
const REMAP: LinkRemap = { link: '/tmp/link_remap.6', original: '/tmp/linked.orig', size: 65536 };
const IN_VOLUME: LinkRemap = { link: '/data/link_remap.8', original: '/data/linked.orig', size: 65536 };

describe("CRIU's link remaps, read from a real dump's images", () => {
  it('finds both link remaps, the one in the volume too, and skips the ghost file beside them', () => {
    expect(imageEntries(REMAP_IMG, REMAP_FPATH_MAGIC, 'remap-fpath.img')).toHaveLength(3);
    expect(parseLinkRemaps(FILES_IMG, REMAP_IMG)).toEqual([REMAP, IN_VOLUME]);
  });

  it('refuses images that are not what they should be, or cut short', () => {
    expect(() => parseLinkRemaps(REMAP_IMG, REMAP_IMG)).toThrow(/files\.img is not the CRIU image/);
    expect(() => parseLinkRemaps(FILES_IMG, Buffer.from('definitely not criu'))).toThrow(/remap-fpath\.img is not the CRIU image/);
    expect(() => parseLinkRemaps(FILES_IMG, REMAP_IMG.subarray(0, REMAP_IMG.length - 3))).toThrow(/truncated/);
  });

  it('takes as a link remap path only an absolute path of plain components ending in link_remap.<id>', () => {
    for (const ok of ['/tmp/link_remap.6', '/link_remap.12', '/data/a b/link_remap.3']) expect(isLinkRemapPath(ok)).toBe(true);
    for (const bad of ['tmp/link_remap.6', '/tmp/../etc/link_remap.6', '/tmp//link_remap.6', '/tmp/./link_remap.6', '/etc/passwd', '/tmp/link_remap.x', '/tmp/link_remap.6/', '/tmp/link_remap.6\0']) {
      expect(isLinkRemapPath(bad)).toBe(false);
    }
  });
});

describe('choosing the open file a link remap is made from', () => {
  const open = (fdPath: string, target: string, inode: string, size = 65536): OpenFile => ({ fdPath, target, inode, size });

  it('picks the fd open on the removed name, of the size CRIU saw', () => {
    const files = [open('/proc/7/fd/4', '/tmp/ghost (deleted)', '254:0:11'), open('/proc/7/fd/5', '/tmp/linked.orig (deleted)', '254:0:12')];
    expect(pickRemapSources([REMAP], files)).toEqual([{ link: '/tmp/link_remap.6', fdPath: '/proc/7/fd/5' }]);
  });

  it('takes any of several fds on the same file, and tells same-named files apart by size', () => {
    const shared = [open('/proc/7/fd/5', '/tmp/linked.orig (deleted)', '254:0:12'), open('/proc/9/fd/3', '/tmp/linked.orig (deleted)', '254:0:12')];
    expect(pickRemapSources([REMAP], shared)).toEqual([{ link: REMAP.link, fdPath: '/proc/7/fd/5' }]);
    const older = open('/proc/7/fd/8', '/tmp/linked.orig (deleted)', '254:0:99', 10);
    expect(pickRemapSources([REMAP], [older, ...shared])[0].fdPath).toBe('/proc/7/fd/5');
  });

  it('refuses to guess: no such open file, or two different files of that name and size', () => {
    expect(() => pickRemapSources([REMAP], [])).toThrow(/no open file of the container is that removed name/);
    const two = [open('/proc/7/fd/5', '/tmp/linked.orig (deleted)', '254:0:12'), open('/proc/7/fd/6', '/tmp/linked.orig (deleted)', '254:0:13')];
    expect(() => pickRemapSources([REMAP], two)).toThrow(/2 different open files/);
  });
});

describe("CRIU's ghost-limit line", () => {
  it('is written in digits; anything but whole bytes is refused', () => {
    expect(criuGhostLimitOption(DEFAULT_GHOST_LIMIT_BYTES)).toBe('ghost-limit 67108864');
    expect(criuGhostLimitOption(0)).toBe('ghost-limit 0');
    for (const bad of [1.5, -1, Number.NaN, 1e21]) expect(() => criuGhostLimitOption(bad)).toThrow(/whole number of bytes/);
  });
});

/** The source with a container whose dump reopens /tmp/linked.orig through a link remap. */
function sourceHoldingRemappedFile(): { h: TestHost; init: number } {
  const h = testHost();
  h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'running');
  h.tools.dumpImages = { 'files.img': FILES_IMG, 'remap-fpath.img': REMAP_IMG };
  const init = h.tools.containers.get(RUN.container)?.pid ?? 0;
  // /proc as the host sees it: init's fds 4 (a ghost), 5 and 6 (the remapped files).
  const fds = [`/proc/${init}/fd/4`, '/tmp/ghost (deleted)', `/proc/${init}/fd/5`, '/tmp/linked.orig (deleted)', `/proc/${init}/fd/6`, '/data/linked.orig (deleted)'];
  h.rt.on('find', (call: Call) => {
    if (call.args[0] !== `/proc/${init}/fd`) return { code: 1, stderr: 'No such file or directory' };
    return { stdout: `${fds.join('\0')}\0` };
  });
  h.rt.on('stat', () => ({ stdout: ['254:0:11 4194304', '254:0:12 65536', '254:0:13 65536', ''].join('\0') }));
  h.rt.on('ln', () => ({}));
  h.rt.on('rm', () => ({}));
  return { h, init };
}

const criuConfigOf = (h: TestHost, verb: string) => {
  const call = h.rt.calls.find((c) => c.program === 'runc' && c.args.includes(verb));
  const file = call?.env?.CRIU_CONFIG_FILE;
  return file ? h.rt.text(file) : undefined;
};

describe('the final dump and the restore carry what the process holds', () => {
  it('dumps with --file-locks and the default ghost limit when the orchestrator sends none', async () => {
    const { h } = sourceHoldingRemappedFile();
    await h.attempt('checkpoint', RUN);
    expect(runcCalls(h.rt, 'checkpoint')[0]).toEqual(expect.arrayContaining(['--leave-running', '--file-locks']));
    expect(criuConfigOf(h, 'checkpoint')).toBe('tcp-close\nskip-in-flight\nlink-remap\nghost-limit 67108864\n');
  });

  it("passes the migration's ghost limit to the dump, and to the post-copy dump", async () => {
    const { h } = sourceHoldingRemappedFile();
    await h.attempt('checkpoint', { ...RUN, ghostLimitBytes: 4096 });
    expect(criuConfigOf(h, 'checkpoint')).toMatch(/\nghost-limit 4096\n$/);
    const g = testHost();
    g.tools.container(RUN.container, g.layout.bundle(RUN.container), 'running');
    await g.attempt('postCopyDump', { ...RUN, ghostLimitBytes: 8192 });
    const daemon = g.rt.calls.find((c) => c.program === 'start-stop-daemon');
    expect(daemon?.args).toEqual(expect.arrayContaining(['--lazy-pages', '--file-locks']));
    expect(g.rt.text(daemon?.env?.CRIU_CONFIG_FILE ?? '')).toMatch(/\nghost-limit 8192\n$/);
  });

  it('a pre-dump copies memory only: no --file-locks, no ghost limit', async () => {
    const { h } = sourceHoldingRemappedFile();
    await h.attempt('preDump', { ...RUN, round: 1, pageServer: { address: '10.0.0.2', port: 40000 } });
    expect(runcCalls(h.rt, 'checkpoint')[0]).not.toContain('--file-locks');
    expect(criuConfigOf(h, 'checkpoint')).not.toContain('ghost-limit');
  });

  it('makes the link remaps again through the frozen container root (so through its mounts), from the open fds, recorded first', async () => {
    const { h, init } = sourceHoldingRemappedFile();
    await h.attempt('checkpoint', RUN);
    expect(h.rt.commandLines('ln')).toEqual([
      `ln -f -L -- /proc/${init}/fd/5 /proc/${init}/root/tmp/link_remap.6`,
      `ln -f -L -- /proc/${init}/fd/6 /proc/${init}/root/data/link_remap.8`,
    ]);
    expect(JSON.parse(h.rt.text(path.join(h.work, 'relinks.json')) ?? 'null')).toEqual({ links: ['/tmp/link_remap.6', '/data/link_remap.8'] });
    expect(h.tools.status(RUN.container)).toBe('paused');
  });

  it('a dump without link remaps makes no link and runs nothing more', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'running');
    await h.attempt('checkpoint', RUN);
    // (The connection fence's look at the container's sockets is another matter.)
    const relinking = h.rt.calls.filter((c) => ['find', 'stat', 'ln', 'rm'].includes(c.program) && !(c.program === 'find' && c.args.includes('socket:*')));
    expect(relinking).toEqual([]);
  });

  it('rollback removes the links while the source is still frozen, then thaws it', async () => {
    const { h, init } = sourceHoldingRemappedFile();
    await h.attempt('checkpoint', RUN);
    await expect(h.attempt('resumeSource', RUN)).resolves.toMatchObject({ action: 'resumed' });
    const lines = h.rt.commandLines();
    const rm = lines.indexOf(`rm -f -- /proc/${init}/root/tmp/link_remap.6 /proc/${init}/root/data/link_remap.8`);
    expect(rm).toBeGreaterThan(-1);
    expect(rm).toBeLessThan(lines.findIndex((l) => / resume /.test(l)));
  });

  it('commit removes the links before it destroys the original', async () => {
    const { h, init } = sourceHoldingRemappedFile();
    await h.attempt('checkpoint', RUN);
    await h.attempt('commitSource', RUN);
    const lines = h.rt.commandLines();
    const rm = lines.indexOf(`rm -f -- /proc/${init}/root/tmp/link_remap.6 /proc/${init}/root/data/link_remap.8`);
    expect(rm).toBeGreaterThan(-1);
    expect(rm).toBeLessThan(lines.findIndex((l) => / delete --force /.test(l)));
  });

  it('a dump again after a failed attempt first removes the links that attempt made', async () => {
    const { h, init } = sourceHoldingRemappedFile();
    h.rt.crashBefore((op) => op.op === 'write' && op.path === path.join(h.work, 'dump.json'));
    await expect(h.attempt('checkpoint', RUN)).rejects.toThrow(/simulated crash/);
    await h.attempt('checkpoint', RUN);
    const lines = h.rt.commandLines().filter((l) => /^(rm|ln) |runc .* checkpoint /.test(l));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['runc', 'ln', 'ln', 'rm', 'runc', 'ln', 'ln']);
    expect(lines[3]).toBe(`rm -f -- /proc/${init}/root/tmp/link_remap.6 /proc/${init}/root/data/link_remap.8`);
  });

  it('restores with --file-locks: without it CRIU drops the locks the images hold', async () => {
    const h = testHost();
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), JSON.stringify({ linux: {} }));
    h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), 'pstree.img'), 'pstree');
    h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
    await h.attempt('restore', RUN);
    expect(runcCalls(h.rt, 'restore')[0]).toEqual(expect.arrayContaining(['--detach', '--file-locks']));
  });
});
