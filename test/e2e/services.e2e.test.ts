// Real services under client load, each at an address of its own, migrated alpha → beta →
// alpha through the whole chain while the same clients stay connected: Redis with a client
// doing acknowledged writes on one connection, PostgreSQL committing inserts on one connection
// with its data directory in a volume (moved between the lab's separate volumesDirs), nginx
// serving files to concurrent keep-alive readers. The clients saw no failed request and kept
// their connections (one each, the same socket throughout), every acknowledged write is on the
// final host (for PostgreSQL amcheck finds nothing wrong), every body was intact, and the
// writes went on after each leg. Each leg's downtime and the longest gap a client saw are
// printed and written to $GODWIT_HOME/services/last-run.md.
import path from 'node:path';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { containerNetnsPath } from '../../policy/container-network';
import { labRemove } from '../../infra/lab/lab';
import { godwitHome } from '../../infra/lab/state';
import { resultOf, startMigration } from '../../client/migrations';
import type { ServiceKind } from '../../infra/services/bundle';
import { leftovers, useLab } from './lab';
import { serviceClient, startService } from '../../infra/services/on-lab';

jest.setTimeout(300_000);

const session = useLab();
const rows: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  const table = [
    '| service | leg | downtime (s) | longest client gap so far (s) | connections at the freeze | acknowledged so far | failed requests | connections opened |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(`services (${new Date().toISOString()}):\n${table}`);
  mkdirSync(path.join(godwitHome(), 'services'), { recursive: true });
  writeFileSync(path.join(godwitHome(), 'services', 'last-run.md'), `${table}\n`);
});

/** `clients`: how many connections the load holds open at once. */
const SERVICES: { kind: ServiceKind; port: number; clients: number }[] = [
  { kind: 'redis', port: 7410, clients: 1 },
  { kind: 'postgres', port: 7411, clients: 1 },
  { kind: 'nginx', port: 7412, clients: 4 },
];

describe.each(SERVICES)('$kind at its own address under load', ({ kind, port, clients }) => {
  const container = `e2e-svc-${kind}`;
  afterAll(async () => {
    for (const h of session.lab.hosts) await labRemove(h.name, container);
  });

  it('moves there and back with its clients connected: no failed request, the same connections, every write kept', async () => {
    const service = await startService(session.lab, 'alpha', kind, container, port, 'own');
    const [address] = service.addresses;
    const client = serviceClient(service, 'e2e');
    await sleep(1500);
    for (const [from, to] of [['alpha', 'beta'], ['beta', 'alpha']]) {
      const before = client.progress().acknowledged;
      const report = await resultOf(await startMigration(session.client, { container, source: from, target: to }));
      expect(report).toMatchObject({ outcome: 'migrated', runningOn: to, network: { address, connections: { handling: 'kept' } } });
      // Every client connection is an established socket of the container (each counted once).
      expect(report.network.connections?.established).toBeGreaterThanOrEqual(clients);
      if (kind === 'postgres') expect(report.volumes).toEqual([expect.objectContaining({ destination: '/var/lib/postgresql/data', keptOnSource: false })]);
      // The address lives in one namespace, on the host that runs it.
      expect(existsSync(containerNetnsPath(from, container))).toBe(false);
      expect(existsSync(containerNetnsPath(to, container))).toBe(true);
      await sleep(1500);
      const seen = client.progress();
      // It went on serving the same clients on the new host.
      expect(seen.acknowledged).toBeGreaterThan(before);
      rows.push(
        `| ${kind} | ${from} → ${to} | ${report.seconds.downtime?.toFixed(3)} | ${seen.longestGapSeconds?.toFixed(3)} | ${report.network.connections?.established} | ${seen.acknowledged} | ${seen.failed} | ${seen.connectionsOpened} |`,
      );
    }
    const seen = await client.stop();
    expect(seen).toMatchObject({ failed: 0, connectFailures: 0, lastError: null });
    // Never reconnected: the connections it opened at the start carried it through both moves.
    expect(seen.connectionsOpened).toBe(clients);
    if ('wrongBodies' in seen) expect(seen.wrongBodies).toBe(0);
    const check = await client.verify(address);
    expect(check.missing).toEqual([]);
    expect(check.checked).toBeGreaterThan(0);
    if ('amcheck' in check) expect(check.amcheck).toBeNull();
    for (const h of session.lab.hosts) expect(await leftovers(h)).toEqual([]);
  });
});
