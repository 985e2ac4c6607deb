// The WordPress bundle's MariaDB data directory: made and filled at build time when empty (the
// system tables, the database, WordPress installed, the posts), in the rootfs or in a host
// directory that the container gets as a volume; an existing site in a volume is kept.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { entries, moveEntries } from './data-dir';
import { buildScript, createDatabaseSql, installPhp, WP, WordpressSite, type WordpressContent } from './wordpress-config';

const inside = (rootfs: string, p: string) => path.join(rootfs, p.slice(1));

/**
 * At build time, through `chroot <rootfs>` on the host, not at the container's first start:
 * the container's processes are then the same at every start, and a failed install shows at
 * build time. The server it starts for the install listens on its socket in the rootfs only
 * (skip-networking) and is shut down before this returns.
 */
async function install(rootfs: string, content: WordpressContent): Promise<void> {
  const dir = inside(rootfs, WP.buildDir);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'build.sh'), buildScript(), { mode: 0o755 });
  await fs.writeFile(path.join(dir, 'create-database.sql'), createDatabaseSql());
  await fs.writeFile(path.join(dir, 'install.php'), installPhp());
  await fs.writeFile(path.join(dir, 'content.json'), `${JSON.stringify(content)}\n`);
  await executeOk('chroot', [rootfs, '/usr/bin/env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', '/bin/bash', `${WP.buildDir}/build.sh`], {
    timeoutMs: 300_000,
  });
  await fs.rm(dir, { recursive: true, force: true });
}

async function readSite(file: string): Promise<WordpressSite> {
  return WordpressSite.parse(JSON.parse(await fs.readFile(file, 'utf8')));
}

/**
 * Makes the data directory: in `rootfs` at WP.dataDir, or, with `volume`, in that host
 * directory (made if missing). A volume that already holds a site (its site file) is kept
 * as it is, comments and all; one that holds anything else is refused.
 */
export async function prepareWordpressData(rootfs: string, content: WordpressContent, volume?: string): Promise<WordpressSite> {
  const inRootfs = inside(rootfs, WP.dataDir);
  const target = volume ?? inRootfs;
  const siteName = path.basename(WP.siteFile);
  const present = await entries(target);
  if (present.length > 0 && !present.includes(siteName)) {
    throw new Error(`${target} is neither empty nor a WordPress data directory (no ${siteName}): refusing to touch it`);
  }
  if (present.length === 0) {
    await fs.rm(inRootfs, { recursive: true, force: true });
    await fs.mkdir(inRootfs, { mode: 0o755 });
    await install(rootfs, content);
    if (volume) {
      await fs.mkdir(volume, { recursive: true });
      await moveEntries(inRootfs, volume);
    }
  }
  // The volume's mount point in the rootfs.
  await fs.mkdir(inRootfs, { recursive: true });
  return readSite(path.join(target, siteName));
}
