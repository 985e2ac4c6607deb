// The target's steps, each run again after a crash at the points that matter.
import path from 'node:path';
import type { DumpRef } from '../../policy/host-contract';
import { SimulatedCrash } from './memory-runtime';
import { RUN, command, runcCalls, testHost, writing, type TestHost } from './host-harness';


/** The target after the final sync: a bundle and the final dump's images, staged or not. */
function targetWithImages(staged = true): TestHost {
  const h = testHost();
  const images = h.layout.incomingImages(RUN.runKey);
  h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), JSON.stringify({ linux: {} }));
  h.rt.put(path.join(images, 'pstree.img'), 'pstree');
  h.rt.put(path.join(images, 'pages-1.img'), Buffer.alloc(4096));
  h.rt.put(path.join(h.layout.incomingRound(RUN.runKey, 1), 'pages-1.img'), Buffer.alloc(8192));
  if (staged) h.rt.put(h.layout.stagedMarker(RUN.runKey), RUN.container);
  return h;
}

describe('stageBundle', () => {
  it('places the bundle on this host and leaves the marker; again, the same', async () => {
    const h = targetWithImages(false);
    await h.attempt('stageBundle', RUN);
    const config = h.rt.text(path.join(h.layout.bundle(RUN.container), 'config.json'));
    await h.attempt('stageBundle', RUN);
    expect(h.rt.text(path.join(h.layout.bundle(RUN.container), 'config.json'))).toBe(config);
    expect(JSON.parse(config ?? '')).toMatchObject({
      process: { terminal: false },
      linux: { cgroupsPath: '/godwit-alpha/web', namespaces: [{ type: 'network', path: '/run/netns/godwit-alpha' }] },
    });
    expect(h.rt.text(h.layout.stagedMarker(RUN.runKey))).toBe(RUN.container);
  });
});

describe('startPageServer', () => {
  const final: DumpRef = RUN;

  it('starts one page server per dump and, while it runs, answers with the same endpoint', async () => {
    const h = testHost();
    const endpoint = await h.attempt('startPageServer', final);
    await expect(h.attempt('startPageServer', final)).resolves.toEqual(endpoint);
    const servers = h.rt.commandLines('criu');
    expect(servers).toHaveLength(1);
    expect(servers[0]).toContain(`--images-dir ${h.layout.incomingImages(RUN.runKey)}`);
    expect(servers[0]).toContain(`--address 10.0.0.1 --port ${endpoint.port} --daemon --pidfile ${h.layout.pageServerPidFile(RUN.runKey)}`);
  });

  it('starts a new one when the recorded one is gone (it served its dump, or died)', async () => {
    const h = testHost();
    const first = await h.attempt('startPageServer', final);
    h.tools.exit(Number(h.rt.text(h.layout.pageServerPidFile(RUN.runKey))));
    const second = await h.attempt('startPageServer', final);
    expect(second.port).not.toBe(first.port);
    expect(h.rt.commandLines('criu')).toHaveLength(2);
    expect(JSON.parse(h.rt.text(path.join(h.work, 'page-server-final.json')) ?? '')).toEqual(second);
  });

  it('stops a server an attempt started but never recorded, so none is left that clean-up cannot find', async () => {
    const h = testHost();
    h.rt.crashBefore(writing(path.join(h.work, 'page-server-final.json')));
    await expect(h.attempt('startPageServer', final)).rejects.toThrow(SimulatedCrash);
    const orphan = Number(h.rt.text(h.layout.pageServerPidFile(RUN.runKey)));
    const endpoint = await h.attempt('startPageServer', final);
    expect(h.rt.commandLines('kill')).toEqual([`kill -TERM ${orphan}`]);
    expect(h.rt.commandLines('criu')).toHaveLength(2);
    expect(JSON.parse(h.rt.text(path.join(h.work, 'page-server-final.json')) ?? '')).toEqual(endpoint);
  });

  it("links a round to its parent round's pages, and listens on loopback for a tunnel", async () => {
    const h = testHost();
    const endpoint = await h.attempt('startPageServer', { ...RUN, transport: 'ssh-tunnel', round: 2, parentRound: 1 });
    expect(endpoint.address).toBe('127.0.0.1');
    expect(h.rt.links.get(path.join(h.layout.incomingRound(RUN.runKey, 2), 'parent'))).toBe('../round-1');
  });
});

describe('startLazyPages', () => {
  it('starts the daemon once; a retry while it runs and is ready starts nothing', async () => {
    const h = testHost();
    const input = { ...RUN, pageServer: { address: '10.0.0.1', port: 40000 } };
    await h.attempt('startLazyPages', input);
    await h.attempt('startLazyPages', input);
    const starts = h.rt.calls.filter((c) => c.program === 'start-stop-daemon');
    expect(starts).toHaveLength(1);
    expect(starts[0].args).toEqual(expect.arrayContaining(['lazy-pages', '--address', '10.0.0.1', '--port', '40000']));
  });
});

describe('restore', () => {
  it('restores once and records it; a retry with the copy running restores nothing', async () => {
    const h = targetWithImages();
    const first = await h.attempt('restore', RUN);
    expect(first.pageBytes).toBe(4096 + 8192); // the final dump's pages and round 1's
    expect(h.tools.status(RUN.container)).toBe('running');
    await expect(h.attempt('restore', RUN)).resolves.toEqual(first);
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
    expect(runcCalls(h.rt, 'delete')).toEqual([]);
  });

  it('after a crash before runc restore ran, restores once', async () => {
    const h = targetWithImages();
    h.rt.crashBefore(command('runc', 'restore'));
    await expect(h.attempt('restore', RUN)).rejects.toThrow(SimulatedCrash);
    await h.attempt('restore', RUN);
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
    expect(h.tools.status(RUN.container)).toBe('running');
  });

  it('after a crash before its record, keeps the copy that already runs: restoring again would turn its state back', async () => {
    const h = targetWithImages();
    h.rt.crashBefore(writing(path.join(h.work, 'restored.json')));
    await expect(h.attempt('restore', RUN)).rejects.toThrow(SimulatedCrash);
    const result = await h.attempt('restore', RUN);
    expect(runcCalls(h.rt, 'restore')).toHaveLength(1);
    expect(runcCalls(h.rt, 'delete')).toEqual([]); // the running copy was never destroyed
    expect(h.tools.status(RUN.container)).toBe('running');
    expect(result.pageBytes).toBe(4096 + 8192);
    expect(JSON.parse(h.rt.text(path.join(h.work, 'restored.json')) ?? '')).toEqual(result);
  });

  it('restores again when the recorded copy has died since', async () => {
    const h = targetWithImages();
    await h.attempt('restore', RUN);
    h.tools.setStatus(RUN.container, 'stopped');
    await h.attempt('restore', RUN);
    expect(runcCalls(h.rt, 'restore')).toHaveLength(2);
    expect(h.tools.status(RUN.container)).toBe('running');
  });
});

describe('finishTarget', () => {
  it('drops the images, or keeps them and says where; twice is fine', async () => {
    const h = targetWithImages();
    await h.attempt('restore', RUN);
    await expect(h.attempt('finishTarget', { ...RUN, keepImages: true })).resolves.toEqual({ keptAt: h.layout.incomingRoot(RUN.runKey) });
    expect(h.rt.files.has(path.join(h.layout.incomingImages(RUN.runKey), 'pstree.img'))).toBe(true);
    expect(h.rt.files.has(h.layout.stagedMarker(RUN.runKey))).toBe(false);
    await h.attempt('finishTarget', { ...RUN, keepImages: false });
    await expect(h.attempt('finishTarget', { ...RUN, keepImages: false })).resolves.toEqual({ keptAt: null });
    expect([...h.filesBelow(h.layout.incomingRoot(RUN.runKey)), ...h.filesBelow(h.work)]).toEqual([]);
    expect(h.tools.status(RUN.container)).toBe('running');
  });
});
