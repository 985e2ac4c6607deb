// A real OpenSSH server for a lab host (Debian's openssh-server): its own host key, one
// authorized user key, bound to one address. Tests and SSH lab hosts use it.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { executeOk, spawnDaemon } from '../../runtime/exec';
import { waitFor } from './processes';

export const SSHD = '/usr/sbin/sshd';

export interface SshdInstance {
  pid: number;
  address: string;
  port: number;
  /** The user's private key (root's, in the lab). */
  identityFile: string;
  /** `SHA256:...` of the host key, to pin. */
  hostKeyFingerprint: string;
}

/** `ssh-keygen -lf` prints `256 SHA256:xxxx comment (ED25519)`. */
async function fingerprintOfFile(publicKeyFile: string): Promise<string> {
  const { stdout } = await executeOk('ssh-keygen', ['-l', '-f', publicKeyFile]);
  const found = /(SHA256:\S+)/.exec(stdout)?.[1];
  if (!found) throw new Error(`ssh-keygen printed no fingerprint for ${publicKeyFile}: ${stdout}`);
  return found;
}

async function keypair(file: string): Promise<void> {
  if (!existsSync(file)) await executeOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', path.basename(file), '-f', file]);
}

function listening(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts sshd in `dir` (keys and config kept there, made on first use) on `address:port`,
 * inside the network namespace `netnsPath` when given.
 */
export async function startSshd(options: { dir: string; address: string; port: number; netnsPath?: string }): Promise<SshdInstance> {
  const { dir, address, port } = options;
  mkdirSync(dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation directory
  const hostKey = path.join(dir, 'host_ed25519');
  const userKey = path.join(dir, 'user_ed25519');
  await keypair(hostKey);
  await keypair(userKey);
  const authorized = path.join(dir, 'authorized_keys');
  copyFileSync(`${userKey}.pub`, authorized);
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${address}`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The keys live in the lab's own directory, not in a home directory sshd would vet.
      'StrictModes no',
      'AllowTcpForwarding yes',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  const sshd = [SSHD, '-D', '-e', '-f', config];
  const pid = options.netnsPath
    ? spawnDaemon('nsenter', [`--net=${options.netnsPath}`, '--', ...sshd], { logFile: path.join(dir, 'sshd.log') })
    : spawnDaemon(sshd[0], sshd.slice(1), { logFile: path.join(dir, 'sshd.log') });
  await waitFor(`sshd on ${address}:${port} (log: ${path.join(dir, 'sshd.log')})`, () => listening(address, port), 20_000);
  return { pid, address, port, identityFile: userKey, hostKeyFingerprint: await fingerprintOfFile(`${hostKey}.pub`) };
}
