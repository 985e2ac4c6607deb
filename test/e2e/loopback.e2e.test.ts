// Connections that never leave the container: two of its own processes talking over its
// loopback. They move with it (CRIU dumps both ends), so neither process notices: the sender
// keeps numbering its lines, the receiver keeps writing them down, with no gap and no restart.
// With tcp-close, as before containers had networks of their own, the connection was closed
// at restore and both processes died with it.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { labRemove, labRun } from '../../infra/lab/lab';
import { HostLayout } from '../../runtime/layout';
import { waitFor } from '../../infra/lab/processes';
import { resultOf, startMigration } from '../../client/migrations';
import { busyboxBundle, host, statusOn, useLab } from './lab';
import type { LabHostState } from '../../infra/lab/state';

jest.setTimeout(180_000);

const session = useLab();
const NAME = 'e2e-loopback';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A receiver on 127.0.0.1:7000 writing down what it gets (its stdin a pipe that never ends:
// busybox nc stops at the end of its input), and a sender numbering lines into it.
const SCRIPT = [
  'sleep 1000000 | busybox nc -l -p 7000 > /tmp/received &',
  'sleep 1',
  'i=0; while :; do i=$((i+1)); echo $i; busybox usleep 20000; done | busybox nc 127.0.0.1 7000',
].join('\n');

/** The numbers the receiver wrote down, read from the container's root file system on `h`. */
function received(h: LabHostState): number[] {
  const file = path.join(new HostLayout(h.stateDir).bundle(NAME), 'rootfs', 'tmp', 'received');
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
}

afterAll(async () => {
  for (const h of session.lab.hosts) await labRemove(h.name, NAME);
});

it('keeps a connection between two of its own processes across a move', async () => {
  for (const h of session.lab.hosts) await labRemove(h.name, NAME);
  const alpha = host(session.lab, 'alpha');
  const beta = host(session.lab, 'beta');
  await labRun('alpha', NAME, await busyboxBundle(NAME, SCRIPT), { unique: true, network: 'own' });
  await waitFor('the sender to get going', () => Promise.resolve(received(alpha).length > 20), 20_000);
  const report = await resultOf(await startMigration(session.client, { container: NAME, source: 'alpha', target: 'beta' }));
  expect(report).toMatchObject({ outcome: 'migrated', network: { connections: { handling: 'kept' } } });
  // Both ends of the loopback connection are the container's.
  expect(report.network.connections?.established).toBeGreaterThanOrEqual(2);
  const atMove = received(beta).length;
  await sleep(1500);
  const lines = received(beta);
  // Still running, and still receiving on the same connection: one unbroken count from 1.
  expect(await statusOn(beta, NAME)).toBe('running');
  expect(lines.length).toBeGreaterThan(atMove + 10);
  expect(lines).toEqual(lines.map((_, i) => i + 1));
});
