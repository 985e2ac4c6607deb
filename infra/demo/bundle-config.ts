// The one place an OCI bundle's config.json is made: `runc spec`'s default, edited for a
// container Godwit can checkpoint (no terminal, writable root) and for what the process needs
// (arguments, user, environment, capabilities, volumes). Used by the demo workload, the
// tests' busybox bundles and the real services (infra/services/).
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { executeOk } from '../../runtime/exec';
import { godwitHome } from '../lab/state';
import { tools } from '../lab/tools';
import { bindMount } from '../../policy/volumes';

/** Where a bundle named `name` lives: $GODWIT_HOME/demo/bundles/<name>. */
export function bundleDir(name: string): string {
  return path.join(godwitHome(), 'demo', 'bundles', name);
}

// What this file reads of `runc spec`'s output; loose, so everything else is written back as is.
const Mount = z.looseObject({ destination: z.string(), type: z.string().optional(), source: z.string().optional(), options: z.array(z.string()).optional() });
const Capabilities = z.record(z.string(), z.array(z.string()));
const RuncSpec = z.looseObject({
  process: z.looseObject({
    args: z.array(z.string()),
    env: z.array(z.string()).default([]),
    cwd: z.string(),
    terminal: z.boolean(),
    user: z.looseObject({ uid: z.number(), gid: z.number() }),
    capabilities: Capabilities.optional(),
  }),
  root: z.looseObject({ path: z.string(), readonly: z.boolean().optional() }),
  mounts: z.array(Mount).default([]),
  hostname: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export interface BundleConfigOptions {
  /** uid = gid: a container of one other user, as a packaged daemon would run. */
  user?: number;
  hostname?: string;
  /** OCI annotations, e.g. godwit.io/no-rebalance. */
  annotations?: Record<string, string>;
  /** Added to (or replacing) the spec's environment, e.g. PATH. */
  env?: Record<string, string>;
  cwd?: string;
  /** Capabilities beyond runc's default three (AUDIT_WRITE, KILL, NET_BIND_SERVICE), e.g. CAP_SETUID. */
  capabilities?: string[];
  /** Host directories bind-mounted into the container: path inside -> directory on the host. */
  volumes?: Record<string, string>;
}

/** Writes `bundle`/config.json for `args` (the rootfs is the caller's: `bundle`/rootfs). */
export async function writeBundleConfig(bundle: string, args: string[], options: BundleConfigOptions = {}): Promise<void> {
  const configFile = path.join(bundle, 'config.json');
  await fs.rm(configFile, { force: true }); // runc spec refuses to overwrite
  await executeOk(tools().runc, ['spec', '--bundle', bundle]);
  const config = RuncSpec.parse(JSON.parse(await fs.readFile(configFile, 'utf8')));
  config.process.args = args;
  // A terminal would tie the container to a console we do not keep; CRIU needs plain stdio.
  config.process.terminal = false;
  if (options.user !== undefined) config.process.user = { ...config.process.user, uid: options.user, gid: options.user };
  if (options.env) {
    const names = new Set(Object.keys(options.env));
    const kept = config.process.env.filter((entry) => !names.has(entry.split('=')[0]));
    config.process.env = [...kept, ...Object.entries(options.env).map(([k, v]) => `${k}=${v}`)];
  }
  if (options.cwd) config.process.cwd = options.cwd;
  if (options.capabilities?.length && config.process.capabilities) {
    for (const [set, caps] of Object.entries(config.process.capabilities)) {
      config.process.capabilities[set] = [...new Set([...caps, ...options.capabilities])];
    }
  }
  // Restored from the target's config, so the directory must exist at that path there.
  for (const [inside, host] of Object.entries(options.volumes ?? {})) config.mounts.push(bindMount(host, inside));
  config.root.readonly = false;
  if (options.hostname) config.hostname = options.hostname;
  if (options.annotations) config.annotations = options.annotations;
  await fs.writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
}
