// Redis as a workload: in memory only (no RDB, no AOF): its data is the process's memory,
// which is exactly what CRIU moves.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ownByRoot } from './own-by-root';
import type { PrepareService } from './service';

export const prepareRedis: PrepareService = async (rootfs, options) => {
  const conf = [
    'bind 0.0.0.0',
    `port ${options.port}`,
    // Clients come from other hosts' addresses, and there is no password in a test lab.
    'protected-mode no',
    // In the foreground: the container's process is the server itself.
    'daemonize no',
    'supervised no',
    'save ""',
    'appendonly no',
    // stdio is /dev/null (CRIU cannot dump a host pipe or file); the log stays inside.
    'logfile /var/log/redis/redis-server.log',
    'dir /var/lib/redis',
    // A runaway writer gets errors instead of eating a CI machine's memory.
    'maxmemory 128mb',
    'maxmemory-policy noeviction',
    '',
  ].join('\n');
  // The package gives these to its redis user (modes 2770, 750); the server runs as root here
  // and, with runc's default capabilities, has no CAP_DAC_OVERRIDE to enter them.
  await ownByRoot(rootfs, ['etc/redis', 'var/log/redis', 'var/lib/redis']);
  await fs.writeFile(path.join(rootfs, 'etc', 'redis', 'godwit.conf'), conf);
  return { args: ['/usr/bin/redis-server', '/etc/redis/godwit.conf'], config: { cwd: '/var/lib/redis' } };
};
