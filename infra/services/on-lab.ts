// A real service on the lab, for end-to-end tests and the benchmark: Redis, PostgreSQL (its data directory in a
// volume of the host's volumesDir) or nginx, built from the shared Debian rootfs, and a client
// of it that knows both hosts' addresses and counts every acknowledged write.
import path from 'node:path';
import { labRemove, labRun, labVolumesDir } from '../lab/lab';
import { waitFor } from '../lab/processes';
import { labHost as host, type LabState } from '../lab/state';
import { buildServiceBundle, type ServiceBundle, type ServiceKind } from './bundle';
import { connectTcp } from './clients/tcp';
import { RedisWriter } from './clients/redis-writer';
import { PgWriter } from './clients/pg-writer';
import { PgConnection } from './clients/pg-connection';
import { HttpReaders } from './clients/http-readers';
import type { ClientReport, VerifyReport } from './clients/report';


export interface ServiceClient {
  progress(): ClientReport;
  stop(): Promise<ClientReport>;
  /** Acknowledged writes (or files) not found at `address`; PostgreSQL also runs amcheck. */
  verify(address: string): Promise<VerifyReport<number | string> & { amcheck?: string | null }>;
}

/** Where PostgreSQL keeps its data: a volume, so a migration between the lab's hosts moves it. */
export const pgDataDir = (lab: LabState, on: string, container: string) => path.join(labVolumesDir(host(lab, on)), container, 'pgdata');

/** Builds `kind` and starts it as `container` on `on` (any earlier copy removed); waits until it listens. */
export async function startService(lab: LabState, on: string, kind: ServiceKind, container: string, port: number): Promise<ServiceBundle> {
  for (const h of lab.hosts) await labRemove(h.name, container);
  const dataDir = kind === 'postgres' ? pgDataDir(lab, on, container) : undefined;
  const service = await buildServiceBundle(kind, { name: container, port, dataDir, staticFiles: { count: 30 } });
  await labRun(on, container, service.bundle);
  const address = host(lab, on).address;
  await waitFor(`${kind} to listen on ${address}:${port}`, () => connectTcp(address, port, 500).then((s) => (s.destroy(), true), () => false), 60_000);
  return service;
}

/** A client on both hosts' addresses; `tag` keeps the writes of one leg apart from another's. */
export function serviceClient(lab: LabState, service: ServiceBundle, tag: string): ServiceClient {
  const common = { addresses: lab.hosts.slice(0, 2).map((h) => h.address), port: service.port };
  switch (service.kind) {
    case 'redis':
      return new RedisWriter({ ...common, keyPrefix: `${tag}:` });
    case 'postgres':
      return new PgWriter({ ...common, table: tag.replace(/-/g, '_') });
    case 'nginx':
      return new HttpReaders({ ...common, files: service.staticFiles, concurrency: 4 });
  }
}

/** Rows of `table` in the PostgreSQL at `address` (a copy that does not answer throws). */
export async function pgRows(address: string, port: number, table: string): Promise<number> {
  const connection = await PgConnection.open(address, port, { user: 'postgres', database: 'postgres' }, 2000);
  try {
    return Number((await connection.query(`SELECT count(*) FROM ${table}`)).rows[0]?.[0] ?? 'NaN');
  } finally {
    connection.close();
  }
}
