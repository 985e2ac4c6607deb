// The bare baseline: the same runc, CRIU and rsync steps a Godwit migration runs, back to back
// from one plain script, with no Temporal in between. Godwit's overhead is the difference.
import path from 'node:path';
import type { HostConfig } from '../policy/inventory';
import type { PhaseSeconds } from '../policy/report';
import { PAGE_SIZE } from '../policy/convergence';
import { HostLayout } from '../runtime/layout';
import { Runc } from '../runtime/runc';
import { Criu } from '../runtime/criu';
import { Rsync } from '../runtime/rsync';
import { placeBundle } from '../runtime/bundle';
import { parseDumpStats } from '../runtime/criu-stats';
import { NetnsRuntime } from '../infra/lab/netns-runtime';

export interface BareResult {
  seconds: PhaseSeconds;
  bytes: number;
}

interface Side {
  host: HostConfig;
  rt: NetnsRuntime;
  layout: HostLayout;
  runc: Runc;
  criu: Criu;
}

function side(host: HostConfig): Side {
  const rt = new NetnsRuntime(host.netnsPath ?? '/proc/self/ns/net');
  const layout = new HostLayout(host.stateDir);
  return { host, rt, layout, runc: new Runc(rt, { runc: host.runc, criu: host.criu, root: layout.runcRoot, criuConfig: layout.criuConfig }), criu: new Criu(rt, host.criu) };
}

const since = (t: number) => Math.round(Date.now() - t) / 1000;

/** Moves `container` from one lab host to the other with `strategy`, as a plain script would. */
export async function bareMigration(
  strategy: 'page-server' | 'stop-and-copy',
  container: string,
  from: HostConfig,
  to: HostConfig,
  runKey: string,
): Promise<BareResult> {
  try {
    return await migrate(strategy, container, side(from), side(to), runKey);
  } finally {
    // Whatever happened, the run's directories go (the benchmark checks where the container is).
    for (const s of [side(from), side(to)]) {
      await s.rt.remove(s.layout.outgoingRoot(runKey));
      await s.rt.remove(s.layout.incomingRoot(runKey));
      await s.rt.remove(s.layout.workRoot(runKey));
    }
  }
}

async function migrate(strategy: 'page-server' | 'stop-and-copy', container: string, src: Side, dst: Side, runKey: string): Promise<BareResult> {
  const [from, to] = [src.host, dst.host];
  const rsync = new Rsync(src.rt, from.rsync);
  const remote = (rel: string) => ({ address: to.address, port: to.transferPort, path: rel });
  const started = Date.now();

  // Preflight, as Godwit's: CRIU usable on both, CPU compatible, the container running.
  await Promise.all([src.criu.facts(), dst.criu.facts()]);
  const cpuDir = src.layout.work(runKey, 'cpuinfo');
  await src.criu.cpuinfoDump(cpuDir);
  await dst.criu.cpuinfoCheck(cpuDir);
  if ((await src.runc.status(container)) !== 'running') throw new Error(`${container} is not running on ${from.name}`);

  // Prepare: bundle and root file system across while the container runs.
  let bytes = await rsync.push(src.layout.bundle(container), remote(src.layout.relBundle(container)), { mirror: true });
  await placeBundle(dst.rt, dst.layout.bundle(container), container, { netnsPath: to.netnsPath, cgroupParent: to.cgroupParent });

  const images = src.layout.outgoingImages(runKey);
  const dumpWork = src.layout.work(runKey, 'dump');
  await src.rt.mkdirp(images);
  const checkpointStarted = Date.now();
  let pageServer: { address: string; port: number } | undefined;
  if (strategy === 'page-server') {
    pageServer = { address: to.address, port: 27_000 + Math.floor(Math.random() * 1000) };
    await dst.criu.startPageServer({
      imagesDir: dst.layout.incomingImages(runKey),
      workDir: dst.layout.work(runKey, 'page-server'),
      ...pageServer,
      pidFile: path.join(dst.layout.workRoot(runKey), 'page-server.pid'),
    });
  }
  await src.runc.pause(container);
  const frozenAt = Date.now();
  await src.runc.checkpoint(container, { imagePath: images, workPath: dumpWork, pageServer });
  const checkpoint = since(checkpointStarted);
  const stats = parseDumpStats(await src.rt.readFile(path.join(dumpWork, 'stats-dump')));
  if (pageServer) bytes += stats.pagesWritten * PAGE_SIZE;

  const transferStarted = Date.now();
  bytes += await rsync.push(images, remote(src.layout.relIncomingImages(runKey)), { mirror: false });
  bytes += await rsync.push(src.layout.bundle(container), remote(src.layout.relBundle(container)), { mirror: true });
  const transfer = since(transferStarted);

  const restoreStarted = Date.now();
  await placeBundle(dst.rt, dst.layout.bundle(container), container, { netnsPath: to.netnsPath, cgroupParent: to.cgroupParent });
  await dst.runc.restore(container, { bundle: dst.layout.bundle(container), imagePath: dst.layout.incomingImages(runKey), workPath: dst.layout.work(runKey, 'restore') });
  const runningAt = Date.now();
  const restore = since(restoreStarted);

  // Verify and commit, as Godwit's: running twice a moment apart, then the original goes.
  for (let i = 0; i < 2; i++) {
    if ((await dst.runc.status(container)) !== 'running') throw new Error(`${container} is not running on ${to.name} after restore`);
    if (i === 0) await new Promise((r) => setTimeout(r, 200));
  }
  await src.runc.destroy(container);
  await src.rt.remove(src.layout.bundle(container));
  return {
    seconds: {
      preDump: null,
      preCopy: null,
      checkpoint,
      transfer,
      restore,
      downtime: (runningAt - frozenAt) / 1000,
      total: since(started),
    },
    bytes,
  };
}
