// The steps of the freeze-to-running path scheduled together (whenReady): each waits on its
// host for the one before it, starts no work until then, and a retry never repeats what must
// happen once.
import path from 'node:path';
import { SimulatedCrash } from './memory-runtime';
import { RUN, TARGET, runcCalls, testHost, type TestHost } from './host-harness';

const push = { ...RUN, target: TARGET, whenReady: true };
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sourceWithContainer(): TestHost {
  const h = testHost();
  h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'running');
  return h;
}

describe('pushImages with the checkpoint', () => {
  it('waits for the dump, then pushes, and sends the marker the restore waits for last', async () => {
    const h = sourceWithContainer();
    const pushing = h.attempt('pushImages', push);
    await later(100);
    expect(h.rt.commandLines('rsync')).toEqual([]); // nothing before the dump is complete
    await h.attempt('checkpoint', RUN);
    await pushing;
    const pushes = h.rt.commandLines('rsync');
    expect(pushes[0]).toMatch(/\/outgoing\/run-1\/images\/ rsync:\/\/10\.0\.0\.2:8873\/godwit\/incoming\/run-1\/images\/$/);
    expect(pushes[pushes.length - 1]).toMatch(/\/work\/run-1\/transferred\/ rsync:\/\/10\.0\.0\.2:8873\/godwit\/incoming\/run-1\/transferred\/$/);
  });

  it('after a crash once everything went, a retry sends only the marker', async () => {
    const h = sourceWithContainer();
    await h.attempt('checkpoint', RUN);
    h.rt.crashBefore((op) => op.op === 'execute' && op.call.program === 'rsync' && op.call.args.some((a) => a.includes('/transferred/')));
    await expect(h.attempt('pushImages', push)).rejects.toThrow(SimulatedCrash);
    const before = h.rt.commandLines('rsync').length;
    await h.attempt('pushImages', push);
    const again = h.rt.commandLines('rsync').slice(before);
    expect(again).toEqual([expect.stringMatching(/\/transferred\/ rsync:/)]);
  });

  it('stops waiting when cancelled, having pushed nothing', async () => {
    const h = sourceWithContainer();
    await expect(h.attemptFor(300, 'pushImages', push)).rejects.toThrow();
    expect(h.rt.commandLines('rsync')).toEqual([]);
  });
});

describe('restore and verify with the transfer', () => {
  function staged(): TestHost {
    const h = testHost();
    h.rt.put(h.layout.stagedMarker(RUN.runKey), '');
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), '{}');
    h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), 'pstree.img'), 'pstree');
    return h;
  }

  it('restore waits for the source\'s marker: images being written are never restored from', async () => {
    const h = staged();
    const restoring = h.attempt('restore', { ...RUN, whenReady: true });
    await later(100);
    expect(runcCalls(h.rt, 'restore')).toEqual([]);
    h.rt.put(path.join(h.layout.transferred(RUN.runKey), 'run'), 'run-1\n');
    await restoring;
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
  });

  it('verify waits for the restore\'s record, and a cancelled wait checks nothing', async () => {
    const h = staged();
    await expect(h.attemptFor(300, 'verify', { ...RUN, whenReady: true })).rejects.toThrow();
    expect(h.rt.commandLines('runc')).toEqual([]);
    h.rt.put(path.join(h.layout.transferred(RUN.runKey), 'run'), 'run-1\n');
    const verifying = h.attempt('verify', { ...RUN, whenReady: true });
    await h.attempt('restore', { ...RUN, whenReady: true });
    await verifying;
    expect(h.rt.commandLines('runc').filter((l) => / state /.test(l)).length).toBeGreaterThanOrEqual(2);
  });
});

describe('post-copy with the dump', () => {
  const endpointFile = (dir: string) => path.join(dir, 'godwit-page-server.json');

  it('the push waits for the dump to serve its pages, and carries where it serves them', async () => {
    const h = sourceWithContainer();
    const pushing = h.attempt('pushImages', push);
    await later(100);
    expect(h.rt.commandLines('rsync')).toEqual([]);
    const dump = await h.attempt('postCopyDump', RUN);
    await pushing;
    expect(JSON.parse(h.rt.text(endpointFile(h.layout.outgoingImages(RUN.runKey))) ?? 'null')).toEqual(dump.pageServer);
    expect(h.rt.commandLines('rsync')[0]).toMatch(/\/outgoing\/run-1\/images\/ rsync:/);
  });

  function withImages(endpoint?: unknown): TestHost {
    const h = testHost();
    const images = h.layout.incomingImages(RUN.runKey);
    h.rt.put(path.join(images, 'pstree.img'), 'pstree');
    if (endpoint !== undefined) h.rt.put(endpointFile(images), JSON.stringify(endpoint));
    return h;
  }
  const arrived = (h: TestHost) => h.rt.put(path.join(h.layout.transferred(RUN.runKey), 'run'), 'run-1\n');
  const daemonStarts = (h: TestHost) => h.rt.calls.filter((c) => c.program === 'start-stop-daemon');

  it('the lazy-pages daemon waits for the images, then serves from where they say the pages are', async () => {
    const h = withImages({ address: '10.0.0.1', port: 41234 });
    const starting = h.attempt('startLazyPages', { ...RUN, whenReady: true });
    await later(100);
    expect(daemonStarts(h)).toEqual([]);
    arrived(h);
    await starting;
    expect(daemonStarts(h)[0].args).toEqual(expect.arrayContaining(['lazy-pages', '--address', '10.0.0.1', '--port', '41234']));
  });

  it('images that do not say where the pages are fail the daemon\'s step, naming the file, and start nothing', async () => {
    const h = withImages();
    arrived(h);
    await expect(h.attempt('startLazyPages', { ...RUN, whenReady: true })).rejects.toThrow(/do not say where the source serves its pages \(no godwit-page-server\.json\)/);
    const bad = withImages({ address: '10.0.0.1', port: 0 });
    arrived(bad);
    await expect(bad.attempt('startLazyPages', { ...RUN, whenReady: true })).rejects.toThrow(/godwit-page-server\.json does not name a page server/);
    expect([...daemonStarts(h), ...daemonStarts(bad)]).toEqual([]);
  });

  it('the restore waits for the lazy-pages daemon as well as the images', async () => {
    const h = withImages({ address: '10.0.0.1', port: 41234 });
    h.rt.put(h.layout.stagedMarker(RUN.runKey), '');
    h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), '{}');
    arrived(h);
    const restoring = h.attempt('restore', { ...RUN, lazyPages: true, whenReady: true });
    await later(100);
    expect(runcCalls(h.rt, 'restore')).toEqual([]); // images here, daemon not yet
    await h.attempt('startLazyPages', { ...RUN, whenReady: true });
    await restoring;
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
  });
});
