// Real services under client load, migrated alpha → beta → alpha through the whole chain:
// Redis with a client doing acknowledged writes, PostgreSQL committing inserts with its data
// directory in a volume (moved between the lab's separate volumesDirs), nginx serving files
// to concurrent readers. After each leg every acknowledged write is on the new host (for
// PostgreSQL amcheck finds nothing wrong), every body was intact, and the writes went on
// there. Each leg's downtime, the longest gap a client saw and its failed requests are
// printed and written to $GODWIT_HOME/services/last-run.md. Failed requests are not zero yet:
// a client connected at the freeze loses that connection (connections are kept in issue 14).
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { labRemove } from '../../infra/lab/lab';
import { godwitHome } from '../../infra/lab/state';
import { resultOf, startMigration } from '../../client/migrations';
import type { ServiceKind } from '../../infra/services/bundle';
import { host, leftovers, useLab } from './lab';
import { serviceClient, startService, type ServiceClient } from '../../infra/services/on-lab';

jest.setTimeout(300_000);

const session = useLab();
const rows: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  const table = [
    '| service | leg | downtime (s) | longest client gap (s) | acknowledged | failed requests | missing after the leg |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(`services (${new Date().toISOString()}):\n${table}`);
  mkdirSync(path.join(godwitHome(), 'services'), { recursive: true });
  writeFileSync(path.join(godwitHome(), 'services', 'last-run.md'), `${table}\n`);
});

const SERVICES: { kind: ServiceKind; port: number }[] = [
  { kind: 'redis', port: 7410 },
  { kind: 'postgres', port: 7411 },
  { kind: 'nginx', port: 7412 },
];

describe.each(SERVICES)('$kind under load', ({ kind, port }) => {
  const container = `e2e-svc-${kind}`;
  afterAll(async () => {
    for (const h of session.lab.hosts) await labRemove(h.name, container);
  });

  it('migrates there and back with every acknowledged write kept and every body intact', async () => {
    const service = await startService(session.lab, 'alpha', kind, container, port);
    const clients: ServiceClient[] = [];
    for (const [leg, [from, to]] of [['alpha', 'beta'], ['beta', 'alpha']].entries()) {
      const client = serviceClient(service, `leg${leg + 1}`);
      clients.push(client);
      await sleep(1500);
      const report = await resultOf(await startMigration(session.client, { container, source: from, target: to }));
      expect(report).toMatchObject({ outcome: 'migrated', runningOn: to });
      const atRestore = client.progress().acknowledged;
      await sleep(1500);
      const seen = await client.stop();
      // The service went on serving on the new host, and nothing it acknowledged is lost there.
      expect(seen.acknowledged).toBeGreaterThan(atRestore);
      const checks = await Promise.all(clients.map((c) => c.verify(host(session.lab, to).address)));
      const missing = checks.reduce((n, c) => n + c.missing.length, 0);
      rows.push(
        `| ${kind} | ${from} → ${to} | ${report.seconds.downtime?.toFixed(3)} | ${seen.longestGapSeconds?.toFixed(3)} | ${seen.acknowledged} | ${seen.failed} | ${missing} |`,
      );
      for (const c of checks) {
        expect(c.missing).toEqual([]);
        if ('amcheck' in c) expect(c.amcheck).toBeNull();
      }
      if (kind === 'postgres') expect(report.volumes).toEqual([expect.objectContaining({ destination: '/var/lib/postgresql/data', keptOnSource: false })]);
    }
    for (const h of session.lab.hosts) expect(await leftovers(h)).toEqual([]);
  });
});
