// The services' root file systems (infra/bootstrap/services.sh builds the shared one,
// infra/bootstrap/wordpress.sh WordPress's) and the copy of one each bundle gets.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { executeOk } from '../../runtime/exec';
import { godwitHome } from '../lab/state';

export function servicesRootfs(): string {
  return path.join(godwitHome(), 'services', 'rootfs');
}

export function wordpressRootfs(): string {
  return path.join(godwitHome(), 'services', 'wordpress-rootfs');
}

/**
 * Copies the shared rootfs to `target` (which must not exist). `cp -a`, not `rsync -a`: five
 * alternating runs here (216 MB, 7548 files, ext4, page cache warm, each followed by sync, on
 * a 2-core machine busy with other tests) took 0.7-1.8 s (median 0.96 s) with cp -a and
 * 1.6-2.7 s (median 2.2 s) with rsync -a, which builds file lists and talks to itself over a
 * pipe: worth it for updating a copy, not for making one in an empty directory.
 * A copy, not a shared read-only mount: each container writes its own files (logs, pid files,
 * the data directory when it has no volume), and a bundle moves between hosts whole.
 */
export async function copyServicesRootfs(target: string, which: 'services' | 'wordpress' = 'services'): Promise<void> {
  const source = which === 'services' ? servicesRootfs() : wordpressRootfs();
  if (!existsSync(path.join(source, 'usr'))) {
    throw new Error(`no ${which} rootfs at ${source}: run sudo bash infra/bootstrap.sh --with-${which}`);
  }
  await executeOk('cp', ['-a', '--', source, target]);
}
