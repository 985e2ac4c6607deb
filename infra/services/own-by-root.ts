// Gives a package's directories back to root: in these bundles every process runs as root
// (CRIU here cannot dump another uid's tasks), with runc's default capabilities, so without
// CAP_DAC_OVERRIDE, and root can then only use what root owns.
import path from 'node:path';
import { executeOk } from '../../runtime/exec';

/** chown -R 0:0 of `inside` paths (relative to `rootfs`); -h: a symlink itself, never its target on the host. */
export async function ownByRoot(rootfs: string, inside: readonly string[]): Promise<void> {
  await executeOk('chown', ['-R', '-h', '0:0', '--', ...inside.map((p) => path.join(rootfs, p))]);
}
