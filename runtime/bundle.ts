// An OCI bundle belongs to the host it runs on: its network namespace and cgroup path
// name that host. Moving a bundle means rewriting those two things and nothing else (and the
// mounts of its volumes).
import path from 'node:path';
import type { HostRuntime } from './host-runtime';
import { mountsOnTarget, type OciMount, type VolumeRef } from '../policy/volumes';
import { attachmentOf } from '../policy/container-network';

interface Namespace {
  type: string;
  path?: string;
}

interface OciConfig {
  process?: { terminal?: boolean };
  root?: { path?: string };
  mounts?: OciMount[];
  linux?: { namespaces?: Namespace[]; cgroupsPath?: string };
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface HostPlacement {
  /** Network namespace to join; undefined keeps the bundle's own choice. */
  netnsPath?: string;
  /** The namespace of its own that a container with a network attachment joins on this host. */
  ownNetnsPath?: string;
  cgroupParent: string;
  /** The container's volumes and where this host keeps them: their mounts point there. */
  volumes?: { dir: string; refs: readonly Pick<VolumeRef, 'name' | 'destination'>[] };
}

export function placeConfig(config: OciConfig, container: string, host: HostPlacement): OciConfig {
  const linux = { ...(config.linux ?? {}) };
  const own = attachmentOf(config.annotations) !== null;
  if (own && !host.ownNetnsPath) throw new Error(`container ${container} has a network of its own, and this host none for it`);
  const netnsPath = own ? host.ownNetnsPath : host.netnsPath;
  if (netnsPath) {
    const others = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network');
    linux.namespaces = [...others, { type: 'network', path: netnsPath }];
  }
  linux.cgroupsPath = `/${host.cgroupParent}/${container}`;
  const mounts = host.volumes && config.mounts ? { mounts: mountsOnTarget(config.mounts, host.volumes.refs, host.volumes.dir) } : {};
  // A terminal would tie the container to a console we do not keep; CRIU needs plain stdio.
  return { ...config, ...mounts, process: { ...(config.process ?? {}), terminal: false }, linux };
}

/** The mounts of the bundle's config.json. */
export async function bundleMounts(rt: HostRuntime, bundleDir: string): Promise<OciMount[]> {
  const config = JSON.parse((await rt.readFile(path.join(bundleDir, 'config.json'))).toString('utf8')) as OciConfig;
  return config.mounts ?? [];
}

export async function placeBundle(rt: HostRuntime, bundleDir: string, container: string, host: HostPlacement): Promise<void> {
  const file = path.join(bundleDir, 'config.json');
  const config = JSON.parse((await rt.readFile(file)).toString('utf8')) as OciConfig;
  await rt.writeFile(file, `${JSON.stringify(placeConfig(config, container, host), null, 2)}\n`);
}
