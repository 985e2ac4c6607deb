// A PostgreSQL data directory for a bundle: made with initdb when empty, in the rootfs or in a
// host directory that the container gets as a volume.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { entries, moveEntries } from './data-dir';
import { PG_UID_SHIM_INSIDE } from './pg-uid-shim';
import type { UserIds } from './passwd';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** The data directory's path inside the container (where a volume is mounted). */
export const PG_DATA_INSIDE = '/var/lib/postgresql/data';

/**
 * initdb at build time, through `chroot <rootfs>` on the host, not in an entrypoint at
 * container start: the container's process is then postgres itself (no shell as PID 1, no
 * first start that differs from the others), and a build failure shows at build time. The
 * shim makes initdb accept root (see pg-uid-shim.c). C locale (the rootfs has no locales),
 * trust authentication (the bundle's pg_hba.conf), and --no-sync: a build cut short is
 * rebuilt, never trusted, so the 40 MB need not be flushed here; the server runs with fsync on.
 */
async function initdb(rootfs: string, uid: number): Promise<void> {
  await executeOk('chroot', [
    rootfs, '/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', `LD_PRELOAD=${PG_UID_SHIM_INSIDE}`, `GODWIT_PG_UID=${uid}`,
    `${PG_BIN}/initdb`, '--pgdata', PG_DATA_INSIDE, '--username', 'postgres', '--auth', 'trust',
    '--no-locale', '--encoding', 'UTF8', '--no-sync', '--no-instructions',
  ]);
}

/**
 * Makes the data directory: in `rootfs` at PG_DATA_INSIDE, or, with `volume`, in that host
 * directory (made if missing; an existing cluster in it is kept). Its top directory belongs
 * to `owner` (the rootfs's postgres user) with mode 0700, which is what postgres checks (miscinit.c checkDataDir).
 */
export async function preparePostgresData(rootfs: string, owner: UserIds, volume?: string): Promise<void> {
  const inRootfs = path.join(rootfs, PG_DATA_INSIDE);
  const target = volume ?? inRootfs;
  const present = await entries(target);
  if (present.length > 0 && !present.includes('PG_VERSION')) {
    throw new Error(`${target} is neither empty nor a PostgreSQL data directory (no PG_VERSION): refusing to touch it`);
  }
  if (present.length === 0) {
    // Made (empty) and owned by postgres's uid before initdb: the bootstrap backend initdb
    // starts checks the ownership too, and what initdb makes itself belongs to root.
    await fs.rm(inRootfs, { recursive: true, force: true });
    await fs.mkdir(inRootfs, { mode: 0o700 });
    await fs.chown(inRootfs, owner.uid, owner.gid);
    await initdb(rootfs, owner.uid);
    if (volume) {
      await fs.mkdir(volume, { recursive: true });
      await moveEntries(inRootfs, volume);
    }
  }
  // The volume's mount point in the rootfs, and the top directory postgres checks.
  await fs.mkdir(inRootfs, { recursive: true });
  await fs.chown(target, owner.uid, owner.gid);
  await fs.chmod(target, 0o700);
}
