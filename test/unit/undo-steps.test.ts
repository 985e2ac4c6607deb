// The compensations: safe whatever the host's state, and a second run after a crash (or
// after success) continues rather than repeats.
import path from 'node:path';
import { Runc } from '../../runtime/runc';
import { SimulatedCrash } from './memory-runtime';
import { RUN, runcCalls, removing, testHost } from './host-harness';


describe('stopTargetContainer', () => {
  it('leaves alone a container this run did not restore (no staged marker)', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container));
    await h.attempt('stopTargetContainer', RUN);
    expect(h.rt.commandLines('runc')).toEqual([]);
    expect(h.tools.status(RUN.container)).toBe('running');
  });

  it('freezes a running copy before it kills its tasks, so none of them runs beside the resumed source', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container));
    const worker = h.tools.task(RUN.container);
    h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
    await h.attempt('stopTargetContainer', RUN);
    const lines = h.rt.commandLines().filter((l) => / (pause|delete) /.test(l) || l.startsWith('kill'));
    expect(lines.map((l) => l.split(' ').find((w) => ['pause', 'delete', 'kill'].includes(w)) ?? l.split(' ')[0])).toEqual(['pause', 'kill', 'delete']);
    expect(lines[1]).toMatch(new RegExp(` ${worker}$`));
  });

  it('stops the copy once; a second run finds nothing to stop', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container));
    h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
    await h.attempt('stopTargetContainer', RUN);
    await h.attempt('stopTargetContainer', RUN);
    expect(runcCalls(h.rt, 'delete')).toHaveLength(1);
    expect(h.tools.status(RUN.container)).toBe('absent');
  });
});

describe('resumeSource', () => {
  it('resumes a frozen source once; after a crash before its clean-up, finds it running and cleans up', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'paused');
    h.rt.put(path.join(h.layout.outgoingImages(RUN.runKey), 'pstree.img'), 'pstree');
    h.rt.crashBefore(removing(h.layout.outgoingRoot(RUN.runKey)));
    await expect(h.attempt('resumeSource', RUN)).rejects.toThrow(SimulatedCrash);
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'already-running' });
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'already-running' });
    expect(runcCalls(h.rt, 'resume')).toHaveLength(1);
    expect(h.tools.status(RUN.container)).toBe('running');
    expect(h.filesBelow(h.layout.outgoingRoot(RUN.runKey))).toEqual([]);
  });

  it('stops a copy an earlier attempt left running before resuming', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'paused');
    const copy = h.tools.spawn(['/usr/bin/rsync', '-aH', `${h.layout.outgoingImages(RUN.runKey)}/`, 'rsync://10.0.0.2:8873/godwit/incoming/run-1/images/']);
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'resumed' });
    const kill = h.rt.calls.findIndex((c) => c.program === 'kill' && c.args.join(' ') === `-KILL ${copy}`);
    const resume = h.rt.calls.findIndex((c) => c.program === 'runc' && c.args.includes('resume'));
    expect(kill).toBeGreaterThanOrEqual(0);
    expect(kill).toBeLessThan(resume);
  });

  // The post-copy dump is a runc command naming the run's work directory: were it not ended
  // first, resumeSource would wait for it as for an earlier attempt's, until cancelled. It
  // is ended by failing its transfer (CRIU then keeps the tasks alive), never killed.
  it('ends a post-copy dump still serving pages by failing its transfer, then resumes', async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'paused');
    const runc = new Runc(h.rt, { runc: '/usr/sbin/runc', criu: '/usr/local/sbin/criu', root: h.layout.runcRoot });
    const listen = { address: '10.0.0.1', port: 40000 };
    const args = runc.lazyCheckpointArgs(RUN.container, { imagePath: h.layout.outgoingImages(RUN.runKey), workPath: h.layout.work(RUN.runKey, 'dump'), listen });
    const dump = h.tools.spawn(['/usr/sbin/runc', ...args], path.join(h.work, 'post-copy-dump.pid'));
    await expect(h.attemptFor(5000, 'resumeSource', RUN)).resolves.toEqual({ action: 'resumed' });
    expect(h.rt.running.map((p) => p.pid)).not.toContain(dump);
    expect(h.rt.commandLines('kill')).toEqual([]);
    const lines = h.rt.commandLines();
    const release = lines.findIndex((l) => l.startsWith('bash -c ') && l.endsWith(' godwit 10.0.0.1 40000'));
    expect(lines.findIndex((l) => l.startsWith('ss -K -t state established sport = :40000'))).toBeLessThan(release);
    expect(release).toBeLessThan(lines.findIndex((l) => / resume /.test(l)));
  });

  it('brings a vanished source back from its local images, once', async () => {
    const h = testHost();
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), '{}');
    h.rt.put(path.join(h.layout.outgoingImages(RUN.runKey), 'pstree.img'), 'pstree');
    h.rt.put(path.join(h.layout.outgoingImages(RUN.runKey), 'pages-1.img'), Buffer.alloc(4096));
    // The restore's own logs are kept, as any rolled-back run's are.
    const diagnostics = { path: h.layout.diagnostics(RUN.container, RUN.runKey), files: ['restore/restore.log', 'restore/runc.log'] };
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'restored-from-images', diagnostics });
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'already-running', diagnostics });
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
  });

  it('says so when the source is gone and no local pages can bring it back', async () => {
    const h = testHost();
    h.rt.put(path.join(h.layout.outgoingImages(RUN.runKey), 'pstree.img'), 'pstree'); // a page-server dump
    await expect(h.attempt('resumeSource', RUN)).rejects.toThrow(/is absent on host alpha and no local images can bring it back/);
    expect(runcCalls(h.rt, 'restore')).toEqual([]);
  });
});

describe('cleanupTarget', () => {
  it('of nothing is fine, and touches nothing', async () => {
    const h = testHost();
    await h.attempt('cleanupTarget', RUN);
    expect(h.rt.commandLines().filter((c) => !c.includes(' state '))).toEqual([]);
  });

  it("stops the run's page servers and its copy, removes what it put there; a second run is a no-op", async () => {
    const h = testHost();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container));
    h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
    const images = h.layout.incomingImages(RUN.runKey);
    const servers = [undefined, 1].map((round) => h.tools.spawn(['criu', 'page-server', '--images-dir', images, '--work-dir', h.work], h.layout.pageServerPidFile(RUN.runKey, round)));
    // The page servers, then the copy's own tasks (frozen first, as any destroy fences).
    const copy = h.tools.containers.get(RUN.container)?.pid;
    await h.attempt('cleanupTarget', RUN);
    expect(h.rt.commandLines('kill').sort()).toEqual([...servers, copy].map((pid) => `kill -KILL ${pid}`).sort());
    expect(h.tools.status(RUN.container)).toBe('absent');
    for (const dir of [h.layout.bundle(RUN.container), h.layout.incomingRoot(RUN.runKey), h.work]) expect(h.filesBelow(dir)).toEqual([]);
    const before = h.rt.calls.length;
    await h.attempt('cleanupTarget', RUN);
    expect(h.rt.calls.slice(before).filter((c) => c.program !== 'runc' || !c.args.includes('state'))).toEqual([]);
  });

  it("removes a bundle pushed before staging, but never a container it did not stage", async () => {
    const h = testHost();
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), '{}');
    await h.attempt('cleanupTarget', RUN);
    expect(h.filesBelow(h.layout.bundle(RUN.container))).toEqual([]);

    const g = testHost();
    g.tools.container(RUN.container, g.layout.bundle(RUN.container)); // same name, not this run's
    await g.attempt('cleanupTarget', RUN);
    expect(g.tools.status(RUN.container)).toBe('running');
    expect(g.filesBelow(g.layout.bundle(RUN.container))).not.toEqual([]);
  });
});
