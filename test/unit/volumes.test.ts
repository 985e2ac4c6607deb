// Volumes: which bind mounts move, how each host's steps copy, place and remove them.
import path from 'node:path';
import { classifyMounts, bindMountProblem, mountsOnTarget, type VolumeRef } from '../../policy/volumes';
import { MigrationRequest } from '../../policy/request';
import { RUN, TARGET, testHost, type TestHost } from './host-harness';

const VOLUMES = '/srv/volumes';
const TARGET_VOLUMES = '/data/godwit-volumes';
const bind = (source: string, destination: string) => ({ destination, type: 'bind', source, options: ['rbind', 'rw'] });
const RUNC_SPEC_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
];

describe('classifyMounts', () => {
  it('makes a bind mount from below volumesDir a volume named by its path there, and leaves the rest of the spec alone', () => {
    const found = classifyMounts([...RUNC_SPEC_MOUNTS, bind(`${VOLUMES}/web/pgdata`, '/var/lib/postgresql/data')], { volumesDir: VOLUMES, sharedPaths: [] });
    expect(found.volumes).toEqual([{ name: 'web/pgdata', destination: '/var/lib/postgresql/data', source: `${VOLUMES}/web/pgdata` }]);
    expect(found.refused).toEqual([]);
  });

  it('refuses a bind mount from anywhere else, unless it lies under a declared shared path', () => {
    const mounts = [bind('/home/app/data', '/data'), bind('/mnt/nfs/media', '/media'), bind('/srv/volumes-old/x', '/x')];
    const found = classifyMounts(mounts, { volumesDir: VOLUMES, sharedPaths: ['/mnt/nfs'] });
    expect(found.shared.map((m) => m.source)).toEqual(['/mnt/nfs/media']);
    // A sibling whose name merely starts like volumesDir is not below it.
    expect(found.refused.map((m) => m.source)).toEqual(['/home/app/data', '/srv/volumes-old/x']);
  });

  it('does not take a source that climbs out of volumesDir for a volume', () => {
    const found = classifyMounts([bind(`${VOLUMES}/../../etc`, '/etc-host'), bind(VOLUMES, '/all')], { volumesDir: VOLUMES, sharedPaths: [] });
    expect(found.volumes).toEqual([]);
    expect(found.refused).toHaveLength(2);
  });

  it('names each refused mount and both ways out', () => {
    const problem = bindMountProblem({ host: 'alpha', container: 'db', volumesDir: VOLUMES, refused: [{ source: '/home/app/data', destination: '/data' }] });
    expect(problem).toMatch(/container db on host alpha bind-mounts \/home\/app\/data \(at \/data\).*under alpha's volumesDir \/srv\/volumes.*options\.sharedPaths/);
    expect(bindMountProblem({ host: 'alpha', container: 'db', refused: [] })).toBeNull();
  });
});

describe('mountsOnTarget', () => {
  it("points each volume's mount at the target's volumesDir, by destination, and nothing else", () => {
    const mounts = [...RUNC_SPEC_MOUNTS, bind(`${VOLUMES}/db/data`, '/data'), bind('/mnt/nfs/media', '/media')];
    const moved = mountsOnTarget(mounts, [{ name: 'db/data', destination: '/data' }], TARGET_VOLUMES);
    expect(moved.find((m) => m.destination === '/data')?.source).toBe(`${TARGET_VOLUMES}/db/data`);
    expect(moved.filter((m) => m.destination !== '/data')).toEqual(mounts.filter((m) => m.destination !== '/data'));
  });
});

describe('the request', () => {
  it('takes shared paths as normalised absolute paths only', () => {
    const base = { container: 'db', source: 'alpha', target: 'beta' };
    expect(MigrationRequest.parse({ ...base, options: { sharedPaths: ['/mnt/nfs'] } }).options.sharedPaths).toEqual(['/mnt/nfs']);
    for (const bad of ['mnt/nfs', '/mnt/../etc', '/mnt/nfs/', '/mnt//nfs']) {
      expect(MigrationRequest.safeParse({ ...base, options: { sharedPaths: [bad] } }).success).toBe(false);
    }
  });
});

/** A running container on a host with a volumesDir, its data in volume db/data at /data. */
function sourceWithVolume(extraMounts: object[] = []): { h: TestHost; volume: VolumeRef } {
  const h = testHost({ volumesDir: VOLUMES });
  const bundle = h.layout.bundle(RUN.container);
  h.rt.put(path.join(bundle, 'config.json'), JSON.stringify({ linux: {}, mounts: [...RUNC_SPEC_MOUNTS, bind(`${VOLUMES}/db/data`, '/data'), ...extraMounts] }));
  h.rt.put(`${VOLUMES}/db/data/base/16384/1259`, 'x'.repeat(8192));
  h.tools.container(RUN.container, bundle);
  return { h, volume: { name: 'db/data', destination: '/data', bytes: 8192 } };
}

describe('the source', () => {
  it('finds the volumes in preflight, with their sizes', async () => {
    const { h, volume } = sourceWithVolume();
    await expect(h.attempt('preflightSource', { container: RUN.container })).resolves.toMatchObject({ volumes: [volume] });
  });

  it('refuses an undeclared bind mount in preflight, naming it, before anything is frozen', async () => {
    const { h } = sourceWithVolume([bind('/home/app/uploads', '/uploads')]);
    await expect(h.attempt('preflightSource', { container: RUN.container })).rejects.toThrow(/bind-mounts \/home\/app\/uploads \(at \/uploads\)/);
    expect(h.rt.commandLines('runc').filter((l) => l.includes(' pause '))).toEqual([]);
    // Declared shared, the same mount is fine and stays as it is.
    await expect(h.attempt('preflightSource', { container: RUN.container, sharedPaths: ['/home/app'] })).resolves.toMatchObject({ volumes: [{ name: 'db/data' }] });
  });

  it('copies each volume to the target receiver\'s volumes module while running, and exactly after the freeze', async () => {
    const { h, volume } = sourceWithVolume();
    const run = { ...RUN, volumes: [volume], target: TARGET };
    const prepared = await h.attempt('pushBundle', run);
    const mirror = h.rt.commandLines('rsync').find((l) => l.includes('/srv/volumes/db/data/'));
    expect(mirror).toMatch(/--delete .*\/srv\/volumes\/db\/data\/ rsync:\/\/10\.0\.0\.2:8873\/godwit-volumes\/db\/data\/$/);
    expect(prepared.volumes).toEqual([expect.objectContaining({ name: 'db/data' })]);
    h.tools.recentlyChanged = ['base/16384/1259'];
    await h.attempt('checkpoint', RUN);
    const final = await h.attempt('pushImages', { ...run, changedWithinSeconds: 90 });
    // The window runs from the first copy's start (moments ago here), not the orchestrator's 90 s.
    expect(h.rt.commandLines('find')).toContainEqual(expect.stringMatching(new RegExp(`^find ${VOLUMES}/db/data -cmin -0\\.0\\d+ \\(`)));
    const exact = h.rt.commandLines('rsync').filter((l) => l.includes('--ignore-times') && l.includes('godwit-volumes/db/data/'));
    expect(exact).toHaveLength(1);
    expect(final.volumes?.map((v) => v.name)).toEqual(['db/data']);
  });

  it('removes its copy of the volumes at commit, unless asked to keep it', async () => {
    const removed = sourceWithVolume();
    await removed.h.attempt('commitSource', { ...RUN, volumes: [removed.volume] });
    expect(removed.h.filesBelow(`${VOLUMES}/db/data`)).toEqual([]);
    const kept = sourceWithVolume();
    await kept.h.attempt('commitSource', { ...RUN, volumes: [kept.volume], keepVolumes: true });
    expect(kept.h.filesBelow(`${VOLUMES}/db/data`)).toHaveLength(1);
  });

  it('leaves its volumes alone when a rollback resumes it', async () => {
    const { h, volume } = sourceWithVolume();
    await h.attempt('checkpoint', RUN);
    await h.attempt('resumeSource', { ...RUN, volumes: [volume] });
    expect(h.filesBelow(`${VOLUMES}/db/data`)).toHaveLength(1);
  });
});

describe('the target', () => {
  const volume: VolumeRef = { name: 'db/data', destination: '/data', bytes: 8192 };
  const preflight = { container: RUN.container, cpuinfo: '', requiredBytes: 1, volumes: [volume] };

  it('refuses a container with volumes when it has no volumesDir', async () => {
    await expect(testHost().attempt('preflightTarget', preflight)).rejects.toThrow(/has volumes, but host alpha has no volumesDir/);
  });

  it('refuses to overwrite data already at a volume\'s path (a copy kept by an earlier move)', async () => {
    const h = testHost({ volumesDir: TARGET_VOLUMES });
    h.rt.put(`${TARGET_VOLUMES}/db/data/PG_VERSION`, '15');
    await expect(h.attempt('preflightTarget', preflight)).rejects.toThrow(/already has data at \/data\/godwit-volumes\/db\/data/);
  });

  it('mounts the volumes from its own volumesDir when it places the bundle', async () => {
    const h = testHost({ volumesDir: TARGET_VOLUMES });
    const bundle = h.layout.bundle(RUN.container);
    h.rt.put(path.join(bundle, 'config.json'), JSON.stringify({ linux: {}, mounts: [bind(`${VOLUMES}/db/data`, '/data')] }));
    await h.attempt('stageBundle', { ...RUN, volumes: [volume] });
    const placed = JSON.parse(h.rt.text(path.join(bundle, 'config.json')) ?? '{}') as { mounts: { source: string }[] };
    expect(placed.mounts[0].source).toBe(`${TARGET_VOLUMES}/db/data`);
  });

  it("removes this run's copies of the volumes when the migration is rolled back", async () => {
    const h = testHost({ volumesDir: TARGET_VOLUMES });
    h.rt.put(`${TARGET_VOLUMES}/db/data/PG_VERSION`, '15');
    h.rt.put(`${TARGET_VOLUMES}/other/keep`, 'another container');
    await h.attempt('cleanupTarget', { ...RUN, volumes: [volume] });
    expect(h.filesBelow(TARGET_VOLUMES)).toEqual([`${TARGET_VOLUMES}/other/keep`]);
  });
});
