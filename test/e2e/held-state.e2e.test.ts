// What a process holds moves with it, on the real lab. The holder (test/fixtures/holder.c)
// holds an flock and an fcntl lock on a file in a volume, a 4 MiB deleted-but-open file (over
// CRIU's 1 MiB ghost default) and two open files whose names it unlinked while hard links keep
// them (CRIU's link remap: one in the root fs, one in the volume). After alpha → beta a second
// process in the migrated container is refused both locks, and the holder reads every file
// back, intact and still the inode its kept name has, through /proc/1/fd. A migration that
// fails leaves the original holding all of it, and no link Godwit made for the dump behind.
//
// Needs labRun's volumes (`volumes: [{ name, path }]`: a volume under the host's volumes
// directory, bind-mounted at `path`, carried to the target by the migration).
import path from 'node:path';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { labRemove, labRun } from '../../infra/lab/lab';
import { tools } from '../../infra/lab/tools';
import { waitFor } from '../../infra/lab/processes';
import type { LabHostState } from '../../infra/lab/state';
import { runMigration } from '../../client/migrations';
import { LocalRuntime } from '../../runtime/local';
import { HostLayout } from '../../runtime/layout';
import { Runc } from '../../runtime/runc';
import { HOLDER_DIR, holderBundle } from '../fixtures/holder';
import { host, injectFault, leftovers, statusOn, useLab } from './lab';

jest.setTimeout(120_000);

const session = useLab();
const NAME = 'e2e-held';
const MiB = 1024 * 1024;

/** Runs the holder in the container on `h` (runc exec) and returns its exit code and output. */
async function holder(h: LabHostState, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const runc = new Runc(new LocalRuntime(), { runc: tools().runc, criu: tools().criu, root: new HostLayout(h.stateDir).runcRoot });
  const result = await runc.exec(NAME, ['/holder', ...args]);
  return { code: result.code, out: `${result.stdout}${result.stderr}`.trim() };
}

/** The host directory mounted at HOLDER_DIR in the container's bundle on `h`: its volume. */
function volumeOf(h: LabHostState): string {
  const config = JSON.parse(readFileSync(path.join(new HostLayout(h.stateDir).bundle(NAME), 'config.json'), 'utf8')) as {
    mounts?: { destination: string; source: string }[];
  };
  const mount = config.mounts?.find((m) => m.destination === HOLDER_DIR);
  if (!mount) throw new Error(`no volume at ${HOLDER_DIR} in ${NAME}'s bundle on ${h.name}`);
  return mount.source;
}

/** CRIU's link_remap.<id> files anywhere below `dirs`. */
function linkRemapsIn(...dirs: string[]): string[] {
  return dirs
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)))
    .filter((f) => /^link_remap\.\d+$/.test(path.basename(f)));
}

const BOTH_REFUSED = 'flock refused\nfcntl refused by pid 1';

/** A fresh holder on alpha, its lock file in a volume; returns what it reads of its files. */
async function startHolder(): Promise<{ alpha: LabHostState; beta: LabHostState; volume: string; files: string }> {
  const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
  for (const h of session.lab.hosts) await labRemove(h.name, NAME);
  await labRun('alpha', NAME, await holderBundle(`${NAME}-alpha`), { unique: true, network: 'host', volumes: [{ name: 'locks', path: HOLDER_DIR }] });
  // runc returns once init runs; the holder takes its locks and writes its files just after.
  await waitFor('the holder to hold its locks', async () => (await holder(alpha, 'probe', HOLDER_DIR)).code === 0, 10_000);
  await waitFor('the holder to have its files', async () => (await holder(alpha, 'check', HOLDER_DIR)).code === 0, 10_000);
  const files = await holder(alpha, 'check', HOLDER_DIR);
  expect(files.out).toMatch(/^ghost ok 4194304 bytes /m);
  expect(files.out).toMatch(/^remapped is the inode of \/linked\.keep /m);
  expect(files.out).toMatch(/^volume-remapped is the inode of \/data\/linked\.keep /m);
  return { alpha, beta, volume: volumeOf(alpha), files: files.out };
}

/** The original on alpha runs, holds both locks, reads its files as before, and has no link remaps. */
async function stillHeldOnAlpha(alpha: LabHostState, volume: string, files: string): Promise<void> {
  expect(await statusOn(alpha, NAME)).toBe('running');
  expect((await holder(alpha, 'probe', HOLDER_DIR)).out).toBe(BOTH_REFUSED);
  expect((await holder(alpha, 'check', HOLDER_DIR)).out).toBe(files);
  expect(linkRemapsIn(path.join(new HostLayout(alpha.stateDir).bundle(NAME), 'rootfs'), volume)).toEqual([]);
}

describe('what a process holds', () => {
  it('moves with it: both locks still held on beta, the ghost and the link-remapped files intact', async () => {
    const { alpha, beta, volume: alphaVolume, files } = await startHolder();
    const report = await runMigration(session.client, { container: NAME, source: 'alpha', target: 'beta' });
    expect(report.reason).toBeNull();
    expect(report.outcome).toBe('migrated');
    expect(await statusOn(beta, NAME)).toBe('running');
    expect(await statusOn(alpha, NAME)).toBe('absent');
    // A second process in the migrated container: refused both locks, so the restored init holds them.
    const probe = await holder(beta, 'probe', HOLDER_DIR);
    expect(probe.out).toBe(BOTH_REFUSED);
    expect(probe.code).toBe(0);
    // The same bytes through the same fds, each remapped file still its kept name's inode.
    const moved = await holder(beta, 'check', HOLDER_DIR);
    expect(moved.code).toBe(0);
    expect(moved.out).toBe(files);
    // CRIU removed the link remaps on beta once it had the files open; Godwit removed the ones
    // it made again on alpha before it destroyed the original.
    expect(linkRemapsIn(path.join(new HostLayout(beta.stateDir).bundle(NAME), 'rootfs'), volumeOf(beta))).toEqual([]);
    expect(linkRemapsIn(alphaVolume)).toEqual([]);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('beta', NAME);
  });

  it('a ghost file over the migration’s limit fails the dump; the original goes on holding everything', async () => {
    const { alpha, volume, files } = await startHolder();
    const report = await runMigration(session.client, { container: NAME, source: 'alpha', target: 'beta', options: { ghostLimitBytes: 1 * MiB } });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/Can't dump ghost file \/tmp\/ghost of 4194304 size, increase limit/);
    await stillHeldOnAlpha(alpha, volume, files);
    await labRemove('alpha', NAME);
  });

  it('a restore that fails on beta rolls back, and no link remap made for the dump stays on alpha', async () => {
    const { alpha, beta, volume, files } = await startHolder();
    injectFault(beta, 'restore', { action: 'corrupt-images' });
    const report = await runMigration(session.client, { container: NAME, source: 'alpha', target: 'beta' });
    expect(report.outcome).toBe('rolled-back');
    expect(report.rollback.map((s) => s.step)).toContain('resumeSource');
    await stillHeldOnAlpha(alpha, volume, files);
    expect(await statusOn(beta, NAME)).toBe('absent');
    await labRemove('alpha', NAME);
  });
});
