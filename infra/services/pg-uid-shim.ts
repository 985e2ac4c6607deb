// Builds pg-uid-shim.c (why it exists: see that file) into a shared library, when stale.
import path from 'node:path';
import { promises as fs, existsSync, statSync } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { godwitHome } from '../lab/state';
import { projectRoot } from '../project-root';

/** Where the library lives inside a postgres bundle's rootfs. */
export const PG_UID_SHIM_INSIDE = '/usr/local/lib/godwit/pg-uid-shim.so';

/**
 * The shim, built on this machine with its gcc against its glibc: the services' rootfs is
 * Debian 12 like the hosts, so the library loads there (same glibc 2.36).
 */
export async function pgUidShim(): Promise<string> {
  const source = path.join(projectRoot(), 'infra', 'services', 'pg-uid-shim.c');
  const library = path.join(godwitHome(), 'services', 'pg-uid-shim.so');
  if (existsSync(library) && statSync(library).mtimeMs >= statSync(source).mtimeMs) return library;
  await fs.mkdir(path.dirname(library), { recursive: true });
  const tmp = `${library}.tmp-${process.pid}`;
  await executeOk('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-o', tmp, source]);
  await fs.rename(tmp, library); // two builders never load a half-written library
  return library;
}
