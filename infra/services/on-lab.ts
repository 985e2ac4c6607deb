// A real service on the lab, for end-to-end tests and the benchmark: Redis, PostgreSQL (its data directory in a
// volume of the host's volumesDir) or nginx, built from the shared Debian rootfs, and a client
// of it that counts every acknowledged write. In its host's network the service answers at
// either host's address, and the client tries both; with a network of its own, at one address
// that moves with it, where a client holds its connection across the move.
import path from 'node:path';
import { labRemove, labRun, labVolumesDir } from '../lab/lab';
import { waitFor } from '../lab/processes';
import { labHost as host, type LabState } from '../lab/state';
import { buildServiceBundle, type ServiceBundle, type ServiceKind } from './bundle';
import { connectTcp } from './clients/tcp';
import { RedisWriter } from './clients/redis-writer';
import { PgWriter } from './clients/pg-writer';
import { PgConnection } from './clients/pg-connection';
import { RedisConnection } from './clients/redis-connection';
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

/** A service running on the lab, and the addresses it may answer at. */
export interface RunningService extends ServiceBundle {
  network: 'own' | 'host';
  addresses: readonly string[];
}

/** Builds `kind` and starts it as `container` on `on` (any earlier copy removed); waits until it listens. */
export async function startService(
  lab: LabState,
  on: string,
  kind: ServiceKind,
  container: string,
  port: number,
  network: 'own' | 'host' = 'host',
): Promise<RunningService> {
  for (const h of lab.hosts) await labRemove(h.name, container);
  const dataDir = kind === 'postgres' ? pgDataDir(lab, on, container) : undefined;
  const service = await buildServiceBundle(kind, { name: container, port, dataDir, staticFiles: { count: 30 } });
  const address = await labRun(on, container, service.bundle, { unique: true, network });
  await waitFor(`${kind} to listen on ${address}:${port}`, () => connectTcp(address, port, 500).then((s) => (s.destroy(), true), () => false), 60_000);
  return { ...service, network, addresses: network === 'own' ? [address] : lab.hosts.slice(0, 2).map((h) => h.address) };
}

/**
 * A client of the service; `tag` keeps the writes of one leg apart from another's. At its own
 * address a client waits out a move on its connection (a timeout well past any downtime), as
 * one with the system's defaults would; between hosts' addresses it gives up on a frozen one
 * after a second and tries the other.
 */
export function serviceClient(service: RunningService, tag: string): ServiceClient {
  const common = { addresses: service.addresses, port: service.port, ...(service.network === 'own' ? { timeoutMs: 30_000 } : {}) };
  switch (service.kind) {
    case 'redis':
      return new RedisWriter({ ...common, keyPrefix: `${tag}:` });
    case 'postgres':
      return new PgWriter({ ...common, table: tag.replace(/-/g, '_') });
    case 'nginx':
      return new HttpReaders({ ...common, files: service.staticFiles, concurrency: 4 });
    case 'wordpress':
      // Its load is Siege's or the request recorder's (clients/siege.ts, clients/request-recorder.ts).
      throw new Error('wordpress has no write-counting client: load it with clients/siege.ts');
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

/** How many keys the Redis at `address` holds (a copy that does not answer throws). */
export async function redisKeys(address: string, port: number): Promise<number> {
  const connection = await RedisConnection.open(address, port, 2000);
  try {
    const reply = await connection.command(['DBSIZE']);
    if (reply.type !== 'integer') throw new Error(`DBSIZE answered ${JSON.stringify(reply)}`);
    return reply.value;
  } finally {
    connection.close();
  }
}
