// PostgreSQL 15 as a workload: small (16 MB shared buffers), durable (fsync on), every process
// as root through pg-uid-shim.c, its data directory in the rootfs or on a volume.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { PG_UID_SHIM_INSIDE, pgUidShim } from './pg-uid-shim';
import { PG_BIN, PG_DATA_INSIDE, preparePostgresData } from './postgres-data';
import { userIds } from './passwd';
import type { PrepareService } from './service';

const HBA_INSIDE = '/etc/postgresql/godwit/pg_hba.conf';

/** Server settings, on the command line: they belong to the bundle, not to a volume's data. */
function settings(port: number): Record<string, string> {
  return {
    listen_addresses: '0.0.0.0',
    port: String(port),
    // No Unix socket: clients use TCP, and nothing else needs one.
    unix_socket_directories: '',
    hba_file: HBA_INSIDE,
    max_connections: '20',
    shared_buffers: '16MB',
    work_mem: '1MB',
    maintenance_work_mem: '16MB',
    wal_buffers: '1MB',
    min_wal_size: '32MB',
    max_wal_size: '64MB',
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    // Plain anonymous shared memory (no hugetlb mapping for CRIU to handle), DSM in /dev/shm.
    huge_pages: 'off',
    dynamic_shared_memory_type: 'posix',
    // The rootfs has no LLVM (infra/bootstrap/services.sh trims it).
    jit: 'off',
    // stdio is /dev/null (CRIU cannot dump a host pipe or file): the collector writes a file inside.
    logging_collector: 'on',
    log_directory: '/var/log/postgresql',
    log_filename: 'postgresql.log',
  };
}

export const preparePostgres: PrepareService = async (rootfs, options) => {
  const owner = userIds(await fs.readFile(path.join(rootfs, 'etc', 'passwd'), 'utf8'), 'postgres');
  if (!owner) throw new Error(`no postgres user in ${rootfs}/etc/passwd`);
  const shim = path.join(rootfs, PG_UID_SHIM_INSIDE.slice(1));
  await fs.mkdir(path.dirname(shim), { recursive: true });
  await fs.copyFile(await pgUidShim(), shim);
  await fs.mkdir(path.join(rootfs, path.dirname(HBA_INSIDE).slice(1)), { recursive: true });
  // Trust from anywhere: a test lab's clients come from other hosts' addresses, with no secrets.
  await fs.writeFile(path.join(rootfs, HBA_INSIDE.slice(1)), 'host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n');
  await preparePostgresData(rootfs, owner, options.dataDir);
  const args = [`${PG_BIN}/postgres`, '-D', PG_DATA_INSIDE, ...Object.entries(settings(options.port)).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  return {
    args,
    config: {
      // Only postgres gets the shim (in its environment, inherited by every backend it forks).
      env: { LD_PRELOAD: PG_UID_SHIM_INSIDE, GODWIT_PG_UID: String(owner.uid) },
      cwd: '/var/lib/postgresql',
      // The data directory belongs to the postgres uid (checkDataDir), mode 0700; root reaches it only with this.
      capabilities: ['CAP_DAC_OVERRIDE'],
      volumes: options.dataDir ? { [PG_DATA_INSIDE]: options.dataDir } : undefined,
    },
  };
};
