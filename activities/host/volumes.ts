// A container's volumes on this host: found from its bundle (source), copied to the target's
// file receiver (module godwit-volumes), checked and placed on the target, removed at commit.
import path from 'node:path';
import { containerNetnsPath } from '../../policy/container-network';
import type { RunRef, VolumeCopy } from '../../policy/host-contract';
import { bindMountProblem, classifyMounts, type VolumeRef } from '../../policy/volumes';
import { bundleMounts, type HostPlacement } from '../../runtime/bundle';
import { syncExactly } from '../../runtime/final-sync';
import { VOLUMES_MODULE } from '../../runtime/rsync';
import { preconditionFailed } from '../errors';
import type { HostContext } from './context';

const volumePath = (volumesDir: string, volume: Pick<VolumeRef, 'name'>) => path.join(volumesDir, volume.name);

/** This host's volumesDir; refused when a container with volumes meets a host without one. */
function volumesDirOf({ host }: HostContext, container: string): string {
  if (!host.volumesDir) throw preconditionFailed(`container ${container} has volumes, but host ${host.name} has no volumesDir in its host file`);
  return host.volumesDir;
}

/** Source preflight: the container's volumes with their sizes; refuses bind mounts that would stay behind. */
export async function findVolumes(ctx: HostContext, container: string, sharedPaths: readonly string[]): Promise<VolumeRef[]> {
  const { rt, host, layout } = ctx;
  const mounts = await bundleMounts(rt, layout.bundle(container));
  const found = classifyMounts(mounts, { volumesDir: host.volumesDir, sharedPaths });
  const problem = bindMountProblem({ host: host.name, container, volumesDir: host.volumesDir, refused: found.refused });
  if (problem) throw preconditionFailed(problem);
  const volumes: VolumeRef[] = [];
  for (const v of found.volumes) volumes.push({ name: v.name, destination: v.destination, bytes: await rt.treeBytes(v.source) });
  return volumes;
}

/**
 * Target preflight: room for the volumes, and nothing of them here yet. Data already at a
 * volume's path is not this run's (a copy kept by an earlier move, or another container's):
 * refused rather than overwritten.
 */
export async function checkVolumesRoom(ctx: HostContext, container: string, volumes: readonly VolumeRef[]): Promise<void> {
  if (volumes.length === 0) return;
  const { rt, host } = ctx;
  const dir = volumesDirOf(ctx, container);
  await rt.mkdirp(dir);
  for (const volume of volumes) {
    const at = volumePath(dir, volume);
    if ((await rt.exists(at)) && ((await rt.treeBytes(at)) > 0 || (await rt.fileSizes(at)).length > 0)) {
      throw preconditionFailed(`host ${host.name} already has data at ${at}, where volume ${volume.name} of ${container} would go; remove it first (a copy kept by an earlier migration?)`);
    }
  }
  const needed = volumes.reduce((sum, v) => sum + v.bytes, 0);
  const free = await rt.freeBytes(dir);
  if (free < needed) throw preconditionFailed(`host ${host.name} has ${free} bytes free in ${dir}; the volumes of ${container} need ${needed}`);
}

/**
 * Source: copies each volume to the target's receiver. Before the freeze a mirror; after it
 * (`exact`), a mirror and then every file changed within the window again, quick check off.
 */
export async function pushVolumes(
  ctx: HostContext,
  run: RunRef,
  at: { address: string; port: number },
  opts: { exact: boolean; changedWithinSeconds?: number },
  signal: AbortSignal,
): Promise<VolumeCopy[]> {
  const volumes = run.volumes ?? [];
  if (volumes.length === 0) return [];
  const { rt, rsync, layout } = ctx;
  const dir = volumesDirOf(ctx, run.container);
  const copies: VolumeCopy[] = [];
  for (const [i, volume] of volumes.entries()) {
    const started = Date.now();
    const source = volumePath(dir, volume);
    const target = { ...at, module: VOLUMES_MODULE, path: volume.name };
    const listFile = path.join(layout.workRoot(run.runKey), `changed-volume-${i}`);
    const bytes = opts.exact
      ? await syncExactly(rt, rsync, source, target, { changedWithinSeconds: opts.changedWithinSeconds, listFile }, { signal })
      : await rsync.push(source, target, { mirror: true }, { signal });
    copies.push({ name: volume.name, bytes, seconds: (Date.now() - started) / 1000 });
  }
  return copies;
}

/** How the target places the bundle: its namespace, cgroup, and its own copies of the volumes. */
export function placementOf(ctx: HostContext, run: RunRef): HostPlacement {
  const { host } = ctx;
  const volumes = run.volumes?.length ? { volumes: { dir: volumesDirOf(ctx, run.container), refs: run.volumes } } : {};
  const own = host.containerNetwork ? { ownNetnsPath: containerNetnsPath(host.name, run.container) } : {};
  return { netnsPath: host.netnsPath, cgroupParent: host.cgroupParent, ...own, ...volumes };
}

/** Removes this host's copies of the run's volumes: the source's at commit, the target's on rollback. */
export async function removeVolumes(ctx: HostContext, run: RunRef): Promise<void> {
  if (!run.volumes?.length || !ctx.host.volumesDir) return;
  for (const volume of run.volumes) await ctx.rt.remove(volumePath(ctx.host.volumesDir, volume));
}
