// nginx as a workload: one worker serving random files of known SHA-256 (static-files.ts).
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { ownByRoot } from './own-by-root';
import type { PrepareService } from './service';
import { writeStaticFiles } from './static-files';

const WEB_ROOT = '/srv/godwit';

export const prepareNginx: PrepareService = async (rootfs, options) => {
  const conf = [
    // Workers as root too (see README: CRIU cannot dump a task of another uid here). nginx
    // still calls setgid/initgroups/setuid for them, hence CAP_SETGID/CAP_SETUID below.
    'user root;',
    'worker_processes 1;',
    // In the foreground, so the container's process is the master.
    'daemon off;',
    'pid /run/nginx-godwit.pid;',
    // stdio is /dev/null (CRIU cannot dump a host pipe or file); logs stay inside.
    'error_log /var/log/nginx/error.log warn;',
    'events { worker_connections 256; }',
    'http {',
    '  access_log /var/log/nginx/access.log;',
    '  default_type application/octet-stream;',
    '  sendfile on;',
    '  keepalive_timeout 65s;',
    // A client keeps its connection through a whole run: nginx ends one after 1000 requests by
    // default, which a test of kept connections would see as a new one.
    '  keepalive_requests 1000000;',
    '  server {',
    `    listen 0.0.0.0:${options.port};`,
    `    root ${WEB_ROOT};`,
    '  }',
    '}',
    '',
  ].join('\n');
  await fs.writeFile(path.join(rootfs, 'etc', 'nginx', 'godwit.conf'), conf);
  // The package's log files belong to www-data (mode 640): root without CAP_DAC_OVERRIDE could
  // not append to them.
  await ownByRoot(rootfs, ['var/log/nginx', 'var/lib/nginx']);
  const count = options.staticFiles?.count ?? 50;
  const maxBytes = options.staticFiles?.maxBytes ?? 1 << 20;
  const staticFiles = await writeStaticFiles(path.join(rootfs, WEB_ROOT.slice(1)), count, maxBytes);
  return {
    args: ['/usr/sbin/nginx', '-c', '/etc/nginx/godwit.conf'],
    config: { capabilities: ['CAP_SETGID', 'CAP_SETUID'] },
    staticFiles,
  };
};
