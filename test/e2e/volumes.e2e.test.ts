// Volumes on the real lab: each host has its own volumesDir, so a migration really moves the
// data. The container appends a line per step of its counter to a file in its volume; after a
// move there and back, the file holds every step exactly once, in order (a last sync that
// missed writes made before the freeze would leave a hole where the restored counter goes on),
// and the source's copy is gone. A bind mount from outside any volumesDir is refused in
// preflight, naming it, unless the request declares it shared.
import path from 'node:path';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { labRemove, labRun, labStatus, labVolumesDir } from '../../infra/lab/lab';
import { waitFor } from '../../infra/lab/processes';
import { resultOf, startMigration } from '../../client/migrations';
import { PreflightRefusedError } from '../../client/errors';
import type { LabHostState } from '../../infra/lab/state';
import { busyboxBundle, host, leftovers, statusOn, useLab } from './lab';

jest.setTimeout(180_000);

const session = useLab();
const NAME = 'e2e-volume';
const COUNTING = 'i=0; while :; do i=$((i+1)); echo $i >> /data/steps; usleep 5000; done';

const stepsFile = (h: LabHostState) => path.join(labVolumesDir(h), NAME, 'data', 'steps');
const steps = (h: LabHostState) => readFileSync(stepsFile(h), 'utf8').trim().split('\n').map(Number);

/** 1, 2, ..., n with nothing missing or repeated: the problem, or null. */
function unbroken(seen: readonly number[]): string | null {
  for (let i = 0; i < seen.length; i++) if (seen[i] !== i + 1) return `line ${i + 1} is ${seen[i]}`;
  return null;
}

describe('a container with a volume', () => {
  afterAll(async () => {
    for (const h of session.lab.hosts) await labRemove(h.name, NAME);
  });

  it('moves with its data there and back; every write is there, once, and the source keeps no copy', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    for (const h of session.lab.hosts) await labRemove(h.name, NAME);
    await labRun('alpha', NAME, await busyboxBundle(NAME, COUNTING), { unique: true, network: 'host', volumes: [{ name: 'data', path: '/data' }] });
    const status = await labStatus();
    expect(status.hosts.map((h) => h.volumesDir)).toEqual(session.lab.hosts.map(labVolumesDir));
    expect(labVolumesDir(alpha)).not.toBe(labVolumesDir(beta));
    await waitFor('the counter to write', () => Promise.resolve(existsSync(stepsFile(alpha)) && steps(alpha).length > 50), 20_000);

    const there = await resultOf(await startMigration(session.client, { container: NAME, source: 'alpha', target: 'beta' }));
    expect(there).toMatchObject({ outcome: 'migrated', runningOn: 'beta' });
    expect(there.volumes).toEqual([expect.objectContaining({ name: `${NAME}/data`, destination: '/data', keptOnSource: false })]);
    expect(there.volumes[0].finalSyncSeconds).not.toBeNull();
    expect(existsSync(path.join(labVolumesDir(alpha), NAME, 'data'))).toBe(false);
    const onBeta = steps(beta).length;
    await waitFor('the counter to go on on beta', () => Promise.resolve(steps(beta).length > onBeta + 20), 20_000);

    const back = await resultOf(await startMigration(session.client, { container: NAME, source: 'beta', target: 'alpha' }));
    expect(back).toMatchObject({ outcome: 'migrated', runningOn: 'alpha' });
    const onAlpha = steps(alpha).length;
    await waitFor('the counter to go on on alpha', () => Promise.resolve(steps(alpha).length > onAlpha + 20), 20_000);
    expect(unbroken(steps(alpha))).toBeNull();
    expect(existsSync(path.join(labVolumesDir(beta), NAME))).toBe(true); // the container's directory...
    expect(existsSync(path.join(labVolumesDir(beta), NAME, 'data'))).toBe(false); // ...but not its data
    expect(await statusOn(beta, NAME)).toBe('absent');
    for (const h of [alpha, beta]) expect(await leftovers(h)).toEqual([]);
  });

  it('is refused in preflight when it bind-mounts a path outside the volumesDir, named, unless declared shared', async () => {
    const alpha = host(session.lab, 'alpha');
    const outside = path.join(alpha.stateDir, '..', '..', 'e2e-shared');
    rmSync(outside, { recursive: true, force: true });
    mkdirSync(outside, { recursive: true });
    for (const h of session.lab.hosts) await labRemove(h.name, NAME);
    const bundle = await busyboxBundle(NAME, 'while :; do echo x >> /shared/beat; sleep 1; done');
    const config = path.join(bundle, 'config.json');
    const spec = JSON.parse(readFileSync(config, 'utf8')) as { mounts: object[] };
    const source = path.resolve(outside);
    spec.mounts.push({ destination: '/shared', type: 'bind', source, options: ['rbind', 'rw'] });
    writeFileSync(config, JSON.stringify(spec));
    await labRun('alpha', NAME, bundle, { unique: true, network: 'host' });

    const refused = await resultOf(await startMigration(session.client, { container: NAME, source: 'alpha', target: 'beta' })).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PreflightRefusedError);
    expect((refused as Error).message).toContain(`bind-mounts ${source} (at /shared)`);
    expect(await statusOn(alpha, NAME)).toBe('running');

    const shared = await resultOf(await startMigration(session.client, { container: NAME, source: 'alpha', target: 'beta', options: { sharedPaths: [source] } }));
    expect(shared).toMatchObject({ outcome: 'migrated', volumes: [] });
    rmSync(outside, { recursive: true, force: true });
  });
});
