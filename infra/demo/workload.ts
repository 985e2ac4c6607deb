// The demo's container: the workload program (workload.c) in a minimal OCI bundle, and a
// reader for its in-memory counter.
import net from 'node:net';
import path from 'node:path';
import { promises as fs, existsSync, statSync } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { godwitHome } from '../lab/state';
import { projectRoot } from '../project-root';
import { bundleDir, writeBundleConfig, type BundleConfigOptions } from './bundle-config';

export const WORKLOAD_PORT = 7070;

export interface WorkloadOptions {
  /** Names the bundle directory, so several workloads can be prepared side by side. */
  name: string;
  memoryMib: number;
  dirtyMibPerSec: number;
  port: number;
  /** OCI annotations, e.g. godwit.io/no-rebalance. */
  annotations?: Record<string, string>;
  /**
   * A directory of this machine bind-mounted at /heartbeat, where the workload appends its
   * counter at every tick (file beats): shared by every copy, it shows whether two ever ran.
   */
  heartbeatDir?: string;
}

/** The heartbeat file's name in `heartbeatDir`. */
export const HEARTBEAT_FILE = 'beats';

/**
 * Compiles a C program statically (a bundle's rootfs has no libc) into $GODWIT_HOME/demo/<name>,
 * when that binary is older than its source. Returns the binary's path.
 */
export async function staticBinary(source: string, name: string): Promise<string> {
  const binary = path.join(godwitHome(), 'demo', name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  await fs.mkdir(path.dirname(binary), { recursive: true });
  await executeOk('gcc', ['-static', '-O2', '-Wall', '-o', binary, source]);
  return binary;
}

const workloadBinary = () => staticBinary(path.join(projectRoot(), 'infra', 'demo', 'workload.c'), 'workload');

/**
 * Builds (afresh) a minimal OCI bundle under $GODWIT_HOME/demo/bundles/<name>: `files` (path in
 * the rootfs -> file on this machine) copied in as executables, `args` as its process, root
 * fs writable. Returns its directory.
 */
export async function buildBundle(
  name: string,
  files: Readonly<Record<string, string>>,
  args: string[],
  extra: Pick<BundleConfigOptions, 'user' | 'hostname' | 'annotations' | 'volumes'> = {},
): Promise<string> {
  const bundle = bundleDir(name);
  await fs.rm(bundle, { recursive: true, force: true });
  const rootfs = path.join(bundle, 'rootfs');
  for (const dir of ['bin', 'proc', 'sys', 'dev', 'tmp']) await fs.mkdir(path.join(rootfs, dir), { recursive: true });
  for (const [inside, from] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(rootfs, inside)), { recursive: true });
    await fs.copyFile(from, path.join(rootfs, inside));
    await fs.chmod(path.join(rootfs, inside), 0o755);
  }
  await writeBundleConfig(bundle, args, extra);
  return bundle;
}

/** Builds (afresh) an OCI bundle running the workload; returns its directory. */
export async function buildWorkloadBundle(options: WorkloadOptions): Promise<string> {
  const args = ['/workload', '--memory-mib', String(options.memoryMib), '--dirty-mib-per-sec', String(options.dirtyMibPerSec), '--port', String(options.port)];
  const volumes: Record<string, string> = options.heartbeatDir ? { '/heartbeat': options.heartbeatDir } : {};
  if (options.heartbeatDir) args.push('--heartbeat', `/heartbeat/${HEARTBEAT_FILE}`);
  return buildBundle(options.name, { workload: await workloadBinary() }, args, { hostname: 'godwit-demo', annotations: options.annotations, volumes });
}

/** The workload's counter, read over TCP from outside the container. */
export function readCounter(address: string, port: number, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    let data = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${address}:${port}`)));
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const value = Number.parseInt(data.trim(), 10);
      if (Number.isFinite(value)) resolve(value);
      else reject(new Error(`no counter from ${address}:${port}`));
    });
  });
}
