// The fencing check, shared by the lab's end-to-end test (cgroup v1 here) and the kernel VM
// (pure cgroup v2): busybox writers append to files in the container's root fs as fast as
// they can; the container is paused, then destroyed as Godwit destroys a frozen copy. Fencing
// holds if not one byte arrives after the freeze.
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import type { HostRuntime } from '../../runtime/host-runtime';
import { Runc, type RuncPaths } from '../../runtime/runc';
import { placeBundle } from '../../runtime/bundle';
import { waitFor } from '../lab/processes';
import { buildBundle } from './workload';

const WRITERS = 4;

/** Busybox's init forks WRITERS - 1 writers and writes itself: each appends to /hb-N. */
const writersScript = () =>
  `${Array.from({ length: WRITERS - 1 }, (_, i) => `(while :; do echo x >> /hb-${i + 1}; done) &`).join(' ')} while :; do echo x >> /hb-0; done`;

/** Bytes each writer has written so far, by file. */
function written(rootfs: string): Record<string, number> {
  return Object.fromEntries(readdirSync(rootfs).filter((f) => f.startsWith('hb-')).sort().map((f) => [f, statSync(path.join(rootfs, f)).size]));
}

export interface FencingResult {
  /** Bytes per writer at the freeze, and once the destroyed copy is gone. */
  atFreeze: Record<string, number>;
  afterDestroy: Record<string, number>;
  held: boolean;
}

/** Runs the writers as `name` in `bundleDir` (built afresh), freezes and destroys them. */
export async function checkFencing(
  rt: HostRuntime,
  runcPaths: RuncPaths,
  placement: { bundleDir: string; name: string; cgroupParent: string; netnsPath?: string; logFile: string },
): Promise<FencingResult> {
  const built = await buildBundle(`${placement.name}-writers`, { 'bin/busybox': '/usr/bin/busybox' }, ['/bin/busybox', 'sh', '-c', writersScript()]);
  await rt.mkdirp(placement.bundleDir);
  await rt.executeOk('cp', ['-a', `${built}/.`, placement.bundleDir]);
  await placeBundle(rt, placement.bundleDir, placement.name, { cgroupParent: placement.cgroupParent, netnsPath: placement.netnsPath });
  const runc = new Runc(rt, runcPaths);
  await runc.destroy(placement.name);
  await runc.run(placement.name, placement.bundleDir, placement.logFile);
  const rootfs = path.join(placement.bundleDir, 'rootfs');
  await waitFor('every writer to write', () => Promise.resolve(Object.keys(written(rootfs)).length === WRITERS), 30_000);
  await runc.pause(placement.name);
  // Frozen: writes already in flight land within moments; then nothing moves.
  await new Promise((r) => setTimeout(r, 300));
  const atFreeze = written(rootfs);
  await runc.destroy(placement.name);
  await new Promise((r) => setTimeout(r, 500));
  const afterDestroy = written(rootfs);
  const held = Object.values(atFreeze).every((b) => b > 0) && JSON.stringify(afterDestroy) === JSON.stringify(atFreeze) && (await runc.status(placement.name)) === 'absent';
  return { atFreeze, afterDestroy, held };
}
