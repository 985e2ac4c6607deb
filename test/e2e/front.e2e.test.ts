// A service whose address cannot follow it, reached through the lab's HAProxy front: the lab's
// hosts on two routed subnets (lab up --subnets per-host), nginx in its host's network, clients
// at the front's address only. Migrated alpha → beta → alpha under concurrent keep-alive
// readers: the front holds new requests from just before the freeze, lets the source finish
// the ones in flight, and sends them all to the target once verify passed. No request failed,
// every body was intact, and the report says what the front did.
import { labFront, labRemove } from '../../infra/lab/lab';
import { resultOf, startMigration } from '../../client/migrations';
import { HttpReaders } from '../../infra/services/clients/http-readers';
import { startService } from '../../infra/services/on-lab';
import { host, leftovers, onDifferentSubnets, routedLabOptions, testLabOptions, useLab } from './lab';

jest.setTimeout(300_000);

// Across two networks, then back to the lab other files expect.
const session = useLab(routedLabOptions(), testLabOptions());
const NAME = 'e2e-front-nginx';
const PORT = 7430;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const h of session.lab.hosts) await labRemove(h.name, NAME);
});

it('keeps every request of clients that come through the front, there and back', async () => {
  expect(onDifferentSubnets(host(session.lab, 'alpha'), host(session.lab, 'beta'))).toBe(true);
  const service = await startService(session.lab, 'alpha', 'nginx', NAME, PORT, 'host');
  const front = await labFront(NAME, PORT, 'http');
  const [address, port] = front.split(':');
  // A timeout well past the hold: a held request waits in HAProxy, as a browser's would.
  const readers = new HttpReaders({ addresses: [address], port: Number(port), files: service.staticFiles, concurrency: 4, timeoutMs: 30_000 });
  await sleep(1500);
  for (const [from, to] of [['alpha', 'beta'], ['beta', 'alpha']]) {
    const before = readers.progress().acknowledged;
    const report = await resultOf(await startMigration(session.client, { container: NAME, source: from, target: to }));
    expect(report).toMatchObject({ outcome: 'migrated', runningOn: to, front: { name: 'edge', backend: NAME, cut: 0 } });
    // Held from the drain to the switch: at least the freeze.
    expect(report.front?.heldSeconds).toBeGreaterThanOrEqual(report.seconds.downtime ?? Infinity);
    console.log(`front ${from} → ${to}: downtime ${report.seconds.downtime}s, held ${report.front?.heldSeconds}s, released ${report.front?.released}, client gap so far ${readers.progress().longestGapSeconds}s`);
    await sleep(1500);
    expect(readers.progress().acknowledged).toBeGreaterThan(before);
  }
  const seen = await readers.stop();
  expect(seen).toMatchObject({ failed: 0, wrongBodies: 0, lastError: null });
  const check = await readers.verify(address);
  expect(check.missing).toEqual([]);
  for (const h of session.lab.hosts) expect(await leftovers(h)).toEqual([]);
});
