// The source's steps, each run again after a crash at the points that matter: a retry
// continues from what the host shows and never repeats what must happen once.
import path from 'node:path';
import type { CheckpointResult } from '../../policy/host-contract';
import { SimulatedCrash } from './memory-runtime';
import { RUN, TARGET, command, removing, runcCalls, testHost, writing, type TestHost } from './host-harness';
import { FENCED_PORTS_FILE } from '../../activities/host/fence';

const record = <T>(h: TestHost, name: string) => JSON.parse(h.rt.text(path.join(h.work, name)) ?? 'null') as T;
const later = () => new Promise((r) => setTimeout(r, 5));

function sourceWithContainer(status: 'running' | 'paused' | 'stopped' = 'running'): TestHost {
  const h = testHost();
  h.tools.container(RUN.container, h.layout.bundle(RUN.container), status);
  return h;
}

describe('preflightSource', () => {
  /** Root here without CAP_SYS_RESOURCE (bit 24), as in this sandbox; and with it. */
  const WITHOUT = '000001fffeffffff';
  const WITH = '000001ffffffffff';
  const status = (name: string, uid: number) => `Name:\t${name}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\n`;

  function sourceWithPostgres(capEff: string, uid: number): { h: TestHost; worker: number } {
    const h = sourceWithContainer();
    h.rt.put('/proc/self/status', `Name:\tnode\nCapEff:\t${capEff}\n`);
    const init = h.tools.containers.get(RUN.container)?.pid ?? 0;
    h.rt.put(`/proc/${init}/status`, status('postgres', 0));
    const worker = h.tools.task(RUN.container);
    h.rt.put(`/proc/${worker}/status`, status('postgres', uid));
    return { h, worker };
  }

  it('refuses, before any freeze, a process under another user when root here lacks CAP_SYS_RESOURCE, naming both', async () => {
    const { h, worker } = sourceWithPostgres(WITHOUT, 70);
    await expect(h.attempt('preflightSource', { container: RUN.container })).rejects.toThrow(
      new RegExp(`container ${RUN.container} on host alpha runs process ${worker} \\(postgres, uid 70, gid 70\\) under another user than root; .*CAP_SYS_RESOURCE.*CapEff ${WITHOUT}`),
    );
    expect(runcCalls(h.rt, 'pause')).toEqual([]);
    expect(h.tools.status(RUN.container)).toBe('running');
  });

  it('lets the same container through where root has the capability, or where every process is root', async () => {
    await expect(sourceWithPostgres(WITH, 70).h.attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ containerStatus: 'running' });
    await expect(sourceWithPostgres(WITHOUT, 0).h.attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ containerStatus: 'running' });
  });
});

describe('the frozen source turns new clients away', () => {
  const fenced = (h: TestHost) => h.tools.iptables.rules.ipv4.filter((r) => r.includes(`godwit-fence:${RUN.container}`));

  it('refuses new connections to the container\'s own ports from before the pause; a retry adds nothing', async () => {
    const h = sourceWithContainer();
    const init = h.tools.containers.get(RUN.container)?.pid ?? 0;
    h.tools.listening.set(init, [5432]);
    h.tools.iptables.preset('ipv4', '-p tcp -m tcp --dport 22 -j ACCEPT'); // the host's own: left alone
    await h.attempt('checkpoint', RUN);
    expect(fenced(h)).toEqual([expect.stringMatching(/--dport 5432 .*-j REJECT --reject-with tcp-reset/)]);
    const lines = h.rt.commandLines();
    expect(lines.findIndex((l) => / -I INPUT .*--dport 5432/.test(l))).toBeLessThan(lines.findIndex((l) => / pause /.test(l)));
    h.rt.files.delete(path.join(h.work, 'dump.json')); // a retry that must dump again
    await h.attempt('checkpoint', RUN);
    expect(fenced(h)).toHaveLength(1);
    expect(h.tools.iptables.rules.ipv4).toContain('-p tcp -m tcp --dport 22 -j ACCEPT');
  });

  it('leaves the ports it fenced beside the images, for the target to hold as well', async () => {
    const h = sourceWithContainer();
    h.tools.listening.set(h.tools.containers.get(RUN.container)?.pid ?? 0, [5432]);
    await h.attempt('checkpoint', RUN);
    const file = h.rt.text(path.join(h.layout.outgoingImages(RUN.runKey), FENCED_PORTS_FILE));
    expect(JSON.parse(file ?? 'null')).toEqual([{ family: 'ipv4', address: '0.0.0.0', port: 5432 }]);
  });

  it('drops them instead when the request says so', async () => {
    const h = sourceWithContainer();
    h.tools.listening.set(h.tools.containers.get(RUN.container)?.pid ?? 0, [80]);
    await h.attempt('checkpoint', { ...RUN, frozenConnections: 'drop' });
    expect(fenced(h)).toEqual([expect.stringMatching(/--dport 80 .*-j DROP/)]);
  });

  it('lets them in again before a rollback resumes it, and once commit has destroyed it', async () => {
    for (const step of ['resumeSource', 'commitSource'] as const) {
      const h = sourceWithContainer();
      h.tools.listening.set(h.tools.containers.get(RUN.container)?.pid ?? 0, [6379]);
      await h.attempt('checkpoint', RUN);
      expect(fenced(h)).toHaveLength(1);
      await h.attempt(step, RUN);
      expect(fenced(h)).toEqual([]);
      if (step === 'resumeSource') {
        const lines = h.rt.commandLines();
        expect(lines.findIndex((l) => / -D INPUT .*--dport 6379/.test(l))).toBeLessThan(lines.findIndex((l) => / resume /.test(l)));
      }
    }
  });
});

describe('checkpoint', () => {
  it('pauses once, dumps to disk and records the result', async () => {
    const h = sourceWithContainer();
    const result = await h.attempt('checkpoint', RUN);
    expect(runcCalls(h.rt, 'pause')).toHaveLength(1);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(1);
    expect(h.tools.status(RUN.container)).toBe('paused'); // the source stays frozen
    expect(result.pagesWritten).toBe(2062); // from CRIU's stats-dump
    expect(result.frozenAt).toBe(record<{ frozenAt: number }>(h, 'frozen.json').frozenAt);
    expect(record<CheckpointResult>(h, 'dump.json')).toEqual(result);
    expect(h.rt.files.has(path.join(h.layout.outgoingImages(RUN.runKey), 'pages-1.img'))).toBe(true);
  });

  it('after a finished dump, answers from its record and runs nothing', async () => {
    const h = sourceWithContainer();
    const first = await h.attempt('checkpoint', RUN);
    const before = h.rt.calls.length;
    await expect(h.attempt('checkpoint', RUN)).resolves.toEqual(first);
    expect(h.rt.calls.slice(before)).toEqual([]);
  });

  it('after a crash between pause and dump, dumps without pausing again and keeps frozenAt', async () => {
    const h = sourceWithContainer();
    h.rt.crashBefore(command('runc', 'checkpoint'));
    await expect(h.attempt('checkpoint', RUN)).rejects.toThrow(SimulatedCrash);
    const frozenAt = record<{ frozenAt: number }>(h, 'frozen.json').frozenAt;
    await later();
    const result = await h.attempt('checkpoint', RUN);
    expect(runcCalls(h.rt, 'pause')).toHaveLength(1);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(1);
    expect(result.frozenAt).toBe(frozenAt); // downtime counts from the first pause
  });

  it('records the freeze before it pauses: a crash in between leaves it running, and the retry freezes it once', async () => {
    const h = sourceWithContainer();
    h.rt.crashBefore(command('runc', 'pause'));
    await expect(h.attempt('checkpoint', RUN)).rejects.toThrow(SimulatedCrash);
    expect(h.tools.status(RUN.container)).toBe('running');
    const stale = record<{ frozenAt: number }>(h, 'frozen.json').frozenAt;
    await later();
    const result = await h.attempt('checkpoint', RUN);
    expect(runcCalls(h.rt, 'pause')).toHaveLength(1);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(1);
    // It froze during the retry, so downtime counts from then, not from the crashed attempt.
    expect(result.frozenAt).toBeGreaterThan(stale);
  });

  it('after a crash between dump and record, dumps again from clean images, frozenAt kept', async () => {
    const h = sourceWithContainer();
    h.rt.crashBefore(writing(path.join(h.work, 'dump.json')));
    await expect(h.attempt('checkpoint', RUN)).rejects.toThrow(SimulatedCrash);
    const frozenAt = record<{ frozenAt: number }>(h, 'frozen.json').frozenAt;
    const stale = path.join(h.layout.outgoingImages(RUN.runKey), 'core-99.img');
    h.rt.put(stale, 'half a dump');
    await later();
    const result = await h.attempt('checkpoint', RUN);
    expect(runcCalls(h.rt, 'pause')).toHaveLength(1);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(2); // a dump without its record is not trusted
    expect(h.rt.files.has(stale)).toBe(false);
    expect(result.frozenAt).toBe(frozenAt);
  });

  it('waits for a dump an earlier attempt left running before touching the container', async () => {
    const h = sourceWithContainer();
    const straggler = h.tools.spawn(['/usr/sbin/runc', 'checkpoint', '--work-path', path.join(h.work, 'dump'), RUN.container]);
    let exitedAt = 0;
    setTimeout(() => {
      exitedAt = Date.now();
      h.tools.exit(straggler);
    }, 250);
    await h.attempt('checkpoint', RUN);
    const firstRunc = h.rt.calls.find((c) => c.program === 'runc');
    expect(exitedAt).toBeGreaterThan(0);
    expect(firstRunc?.at).toBeGreaterThanOrEqual(exitedAt);
  });

  it('refuses a container that is not running or paused, and leaves it alone', async () => {
    const h = sourceWithContainer('stopped');
    await expect(h.attempt('checkpoint', RUN)).rejects.toMatchObject({ type: 'PreconditionFailed' });
    expect(runcCalls(h.rt, 'pause')).toEqual([]);
    expect(runcCalls(h.rt, 'checkpoint')).toEqual([]);
  });

  it('fails naming the file when its record is torn or foreign, and does not dump', async () => {
    for (const [content, why] of [['{"frozenAt": 12', /not JSON/], ['{"frozenAt": "soon"}', /not what this step writes/]] as const) {
      const h = sourceWithContainer();
      const file = path.join(h.work, 'dump.json');
      h.rt.put(file, content);
      const failure = h.attempt('checkpoint', RUN);
      await expect(failure).rejects.toThrow(file);
      await expect(failure).rejects.toThrow(why);
      expect(runcCalls(h.rt, 'pause')).toEqual([]);
    }
  });
});

describe('preDump', () => {
  const round1 = { ...RUN, round: 1, pageServer: { address: '10.0.0.2', port: 40000 } };

  it('copies memory without freezing, pages to the page server, and records the round', async () => {
    const h = sourceWithContainer();
    const round = await h.attempt('preDump', round1);
    const [args] = runcCalls(h.rt, 'checkpoint');
    expect(args).toEqual(expect.arrayContaining(['--pre-dump', '--page-server', '10.0.0.2:40000']));
    expect(runcCalls(h.rt, 'pause')).toEqual([]);
    expect(round).toMatchObject({ round: 1, pagesWritten: 2062, bytes: 2062 * 4096 });
    expect(record(h, 'round-1.json')).toEqual(round);
  });

  it('builds on its parent round', async () => {
    const h = sourceWithContainer();
    await h.attempt('preDump', { ...round1, round: 2, parentRound: 1 });
    expect(runcCalls(h.rt, 'checkpoint')[0]).toEqual(expect.arrayContaining(['--parent-path', '../round-1']));
  });

  it('does not redo a finished round; redoes one whose record was never written', async () => {
    const h = sourceWithContainer();
    const first = await h.attempt('preDump', round1);
    await expect(h.attempt('preDump', round1)).resolves.toEqual(first);
    expect(runcCalls(h.rt, 'checkpoint')).toHaveLength(1);

    const g = sourceWithContainer();
    g.rt.crashBefore(writing(path.join(g.work, 'round-1.json')));
    await expect(g.attempt('preDump', round1)).rejects.toThrow(SimulatedCrash);
    await g.attempt('preDump', round1);
    expect(runcCalls(g.rt, 'checkpoint')).toHaveLength(2);
    expect(g.rt.files.has(path.join(g.work, 'round-1.json'))).toBe(true);
  });
});

describe('postCopyDump', () => {
  it('starts one dump daemon serving pages and, once recorded, never a second', async () => {
    const h = sourceWithContainer();
    const first = await h.attempt('postCopyDump', RUN);
    expect(first.pageServer).toEqual({ address: '10.0.0.1', port: 40000 });
    await expect(h.attempt('postCopyDump', RUN)).resolves.toEqual(first);
    const daemons = h.rt.calls.filter((c) => c.program === 'start-stop-daemon');
    expect(daemons).toHaveLength(1);
    expect(daemons[0].args).toEqual(expect.arrayContaining(['--lazy-pages', '--leave-running', '--page-server', '10.0.0.1:40000', RUN.container]));
    // Paused by runc before CRIU starts: left running, it stays paused, alive, however the transfer ends.
    const lines = h.rt.commandLines();
    expect(lines.findIndex((l) => / pause /.test(l))).toBeLessThan(lines.findIndex((l) => l.startsWith('start-stop-daemon')));
    expect(h.tools.status(RUN.container)).toBe('paused');
  });
});

describe('pushBundle and pushImages', () => {
  const push = { ...RUN, target: TARGET };

  it('push the bundle again on a retry (rsync mirrors), stopping a copy an earlier attempt left', async () => {
    const h = sourceWithContainer();
    const leftover = h.tools.spawn(['/usr/bin/rsync', '-aH', `${h.layout.bundle(RUN.container)}/`, 'rsync://10.0.0.2:8873/godwit/bundles/web/']);
    await h.attempt('pushBundle', push);
    await h.attempt('pushBundle', push);
    expect(h.rt.commandLines('kill')).toEqual([`kill -KILL ${leftover}`]);
    const pushes = h.rt.commandLines('rsync');
    expect(pushes).toHaveLength(2);
    expect(pushes[0]).toBe(pushes[1]);
    expect(pushes[0]).toMatch(/--delete .*\/bundles\/web\/ rsync:\/\/10\.0\.0\.2:8873\/godwit\/bundles\/web\/$/);
  });

  it('pushImages sends the images (no --delete: the pages are there) before the final bundle sync', async () => {
    const h = sourceWithContainer();
    await h.attempt('checkpoint', RUN);
    const result = await h.attempt('pushImages', { ...push, changedWithinSeconds: 90 });
    const [images, bundle] = h.rt.commandLines('rsync');
    expect(images).not.toContain('--delete');
    expect(images).toMatch(/\/outgoing\/run-1\/images\/ rsync:\/\/10\.0\.0\.2:8873\/godwit\/incoming\/run-1\/images\/$/);
    expect(bundle).toContain('--delete');
    expect(result.bytes).toBeGreaterThan(8192);
    // Nothing changed within the window: no file is read a second time.
    await h.attempt('pushImages', { ...push, changedWithinSeconds: 90 });
    expect(h.rt.commandLines('rsync')).toHaveLength(4);
  });

  it('the final sync sends again, quick check off, exactly the files changed within the window', async () => {
    const h = sourceWithContainer();
    const bundleDir = h.layout.bundle(RUN.container);
    h.rt.put(path.join(bundleDir, 'rootfs/var/lib/db/wal-0001'), 'x'.repeat(4096));
    h.rt.put(path.join(bundleDir, 'rootfs/etc/untouched.conf'), 'same');
    h.tools.recentlyChanged = ['rootfs/var/lib/db/wal-0001'];
    await h.attempt('checkpoint', RUN);
    await h.attempt('pushImages', { ...push, changedWithinSeconds: 90 });
    expect(h.rt.commandLines('find').filter((l) => !l.startsWith('find /proc/'))).toEqual([
      `find ${bundleDir} -cmin -1.5 ( -type f -o -type l ) -printf %P\\0`,
    ]);
    // Sent first, the changed files then match and the mirror pass skips them: never sent twice.
    const [, exact, mirror] = h.rt.commandLines('rsync');
    expect(mirror).toContain('--delete');
    const listFile = path.join(h.work, 'changed-files');
    expect(exact).toContain(`--ignore-times --from0 --files-from=${listFile}`);
    expect(exact).not.toContain('--delete');
    expect(h.rt.text(listFile)).toBe('rootfs/var/lib/db/wal-0001\0');
  });

  it('starts the window where the first copy began, by this host\'s clock, and a retry of that copy keeps it', async () => {
    const h = sourceWithContainer();
    await h.attempt('pushBundle', push);
    const first = record<{ startedAt: number }>(h, 'first-sync.json');
    await later();
    await h.attempt('pushBundle', push);
    expect(record<{ startedAt: number }>(h, 'first-sync.json')).toEqual(first);
    // As if the first copy began 3 minutes ago: 180 s plus 2 s of slack, whatever the orchestrator says.
    h.rt.put(path.join(h.work, 'first-sync.json'), JSON.stringify({ startedAt: Date.now() - 180_000 }));
    await h.attempt('checkpoint', RUN);
    await h.attempt('pushImages', { ...push, changedWithinSeconds: 90 });
    expect(h.rt.commandLines('find').filter((l) => !l.startsWith('find /proc/'))).toEqual([expect.stringMatching(/ -cmin -3\.03[34] /)]);
  });

  it('without a record of the first copy, widens the window by how late the step runs after it was scheduled (a queue, a retry)', async () => {
    const h = sourceWithContainer();
    await h.attempt('checkpoint', RUN);
    await h.attemptLate(30_000, 'pushImages', { ...push, changedWithinSeconds: 90 });
    expect(h.rt.commandLines('find').filter((l) => !l.startsWith('find /proc/'))).toEqual([expect.stringContaining(' -cmin -2 ')]);
  });

  it('with no window (a run of an older orchestrator), the final sync is exact for every file', async () => {
    const h = sourceWithContainer();
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'rootfs/etc/a.conf'), 'a');
    await h.attempt('checkpoint', RUN);
    await h.attempt('pushImages', push);
    const finds = h.rt.commandLines('find').filter((l) => !l.startsWith('find /proc/'));
    expect(finds).toHaveLength(1);
    expect(finds[0]).not.toContain('-cmin');
    expect(h.rt.text(path.join(h.work, 'changed-files'))?.split('\0')).toEqual(expect.arrayContaining(['config.json', 'rootfs/etc/a.conf']));
  });
});

describe('commitSource', () => {
  it('fences the frozen original: every task of its cgroup is killed while still frozen, then runc deletes it', async () => {
    const h = sourceWithContainer('paused');
    const workers = [h.tools.task(RUN.container), h.tools.task(RUN.container)];
    const init = h.tools.containers.get(RUN.container)?.pid;
    await h.attempt('checkpoint', RUN);
    await h.attempt('commitSource', RUN);
    const lines = h.rt.commandLines();
    const kill = lines.findIndex((l) => l.startsWith('kill -KILL'));
    const remove = lines.findIndex((l) => / delete --force /.test(l));
    expect(lines[kill]).toBe(`kill -KILL ${[init, ...workers].join(' ')}`);
    expect(kill).toBeLessThan(remove);
    // Never resumed on the way: a thaw before the kill would let the workers run again.
    expect(runcCalls(h.rt, 'resume')).toEqual([]);
    expect(runcCalls(h.rt, 'pause')).toEqual([]);
  });

  it('removes the original and everything of the run; a retry after a crash finishes the job', async () => {
    const h = sourceWithContainer('paused');
    await h.attempt('checkpoint', RUN);
    h.rt.crashBefore(removing(h.layout.outgoingRoot(RUN.runKey)));
    await expect(h.attempt('commitSource', RUN)).rejects.toThrow(SimulatedCrash);
    expect(h.tools.status(RUN.container)).toBe('absent');
    await h.attempt('commitSource', RUN);
    await h.attempt('commitSource', RUN);
    expect(runcCalls(h.rt, 'delete')).toHaveLength(1);
    for (const gone of [h.layout.bundle(RUN.container), h.layout.outgoingRoot(RUN.runKey), h.work]) {
      expect(h.filesBelow(gone)).toEqual([]);
    }
  });
});
