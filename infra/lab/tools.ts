// Paths of the programs the bootstrap installed (infra/bootstrap.sh).
import path from 'node:path';
import { godwitHome } from './state';

export function tools() {
  const bin = path.join(godwitHome(), 'bin');
  return {
    criu: path.join(bin, 'criu'),
    temporal: path.join(bin, 'temporal'),
    /** The benchmark's latency proxy (infra/bootstrap/toxiproxy.sh, bootstrap --with-rtt). */
    toxiproxy: path.join(bin, 'toxiproxy-server'),
    runc: '/usr/sbin/runc',
    rsync: '/usr/bin/rsync',
    ip: '/usr/sbin/ip',
    nsenter: '/usr/bin/nsenter',
    node: process.execPath,
  };
}
