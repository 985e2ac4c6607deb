// An OCI bundle belongs to the host it runs on: its network namespace and cgroup path
// name that host. Moving a bundle means rewriting those two things and nothing else.
import path from 'node:path';
import type { HostRuntime } from './host-runtime';

interface Namespace {
  type: string;
  path?: string;
}

interface OciConfig {
  process?: { terminal?: boolean };
  root?: { path?: string };
  linux?: { namespaces?: Namespace[]; cgroupsPath?: string };
  [key: string]: unknown;
}

export interface HostPlacement {
  /** Network namespace to join; undefined keeps the bundle's own choice. */
  netnsPath?: string;
  cgroupParent: string;
}

export function placeConfig(config: OciConfig, container: string, host: HostPlacement): OciConfig {
  const linux = { ...(config.linux ?? {}) };
  if (host.netnsPath) {
    const others = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network');
    linux.namespaces = [...others, { type: 'network', path: host.netnsPath }];
  }
  linux.cgroupsPath = `/${host.cgroupParent}/${container}`;
  // A terminal would tie the container to a console we do not keep; CRIU needs plain stdio.
  return { ...config, process: { ...(config.process ?? {}), terminal: false }, linux };
}

export async function placeBundle(rt: HostRuntime, bundleDir: string, container: string, host: HostPlacement): Promise<void> {
  const file = path.join(bundleDir, 'config.json');
  const config = JSON.parse((await rt.readFile(file)).toString('utf8')) as OciConfig;
  await rt.writeFile(file, `${JSON.stringify(placeConfig(config, container, host), null, 2)}\n`);
}
