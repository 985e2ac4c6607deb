// A run that did not migrate leaves CRIU's and runc's logs in the host's diagnostics
// directory (the newest few runs per container), whatever crash its rollback meets on the
// way; a migrated run leaves nothing; and keeping them never fails a rollback.
import path from 'node:path';
import type { RunRef } from '../../policy/host-contract';
import { KEPT_RUNS_PER_CONTAINER } from '../../activities/host/diagnostics';
import { SimulatedCrash, type Operation } from './memory-runtime';
import { RUN, removing, testHost, type TestHost } from './host-harness';

const renaming = (file: string) => (op: Operation) => op.op === 'rename' && op.path === file;

/** A source that dumped in one pre-dump round and a final dump (its logs, records, stats). */
async function dumpedSource(): Promise<TestHost> {
  const h = testHost();
  h.tools.container(RUN.container, h.layout.bundle(RUN.container));
  await h.attempt('preDump', { ...RUN, round: 1, pageServer: { address: '10.0.0.2', port: 40000 } });
  await h.attempt('checkpoint', { ...RUN, parentRound: 1 });
  return h;
}

/** A target whose page server ran and whose restore ran (and is to be rolled back). */
async function restoredTarget(): Promise<TestHost> {
  const h = testHost();
  h.rt.put(path.join(h.layout.bundle(RUN.container), 'config.json'), JSON.stringify({ linux: {} })); // pushed by the source
  await h.attempt('stageBundle', RUN);
  await h.attempt('startPageServer', RUN);
  h.rt.put(path.join(h.layout.incomingImages(RUN.runKey), 'pstree.img'), 'pstree');
  await h.attempt('restore', RUN);
  return h;
}

/** Everything in the diagnostics directory of RUN, relative to it. */
const keptFiles = (h: TestHost, run: RunRef = RUN) => {
  const dir = h.layout.diagnostics(run.container, run.runKey);
  return h.filesBelow(dir).map((f) => f.slice(dir.length + 1)).sort();
};

/** A run's logs, put in its work directory as CRIU would leave them. */
function leaveLogs(h: TestHost, run: RunRef, names: string[] = ['dump/dump.log']): void {
  for (const name of names) h.rt.put(path.join(h.layout.workRoot(run.runKey), name), `log of ${run.runKey}\n`);
}

describe('a rolled-back run keeps its logs', () => {
  it('on the source: the pre-dump rounds\' and the dump\'s logs, moved out of the run\'s work directory, and nothing else of it', async () => {
    const h = await dumpedSource();
    const dumpLog = h.rt.text(path.join(h.layout.work(RUN.runKey, 'dump'), 'dump.log'));
    const resumed = await h.attempt('resumeSource', RUN);
    const dir = h.layout.diagnostics(RUN.container, RUN.runKey);
    expect(resumed).toEqual({ action: 'resumed', diagnostics: { path: dir, files: ['dump/dump.log', 'round-1/dump.log'] } });
    expect(dir).toBe('/var/lib/godwit/host/diagnostics/web/run-1'); // beside work/, incoming/ and outgoing/, in none of them
    expect(h.rt.text(path.join(dir, 'dump', 'dump.log'))).toBe(dumpLog);
    // Records, statistics and images are not logs: they go with the work directory, as before.
    expect(keptFiles(h)).toEqual(['dump/dump.log', 'kept.json', 'round-1/dump.log']);
    expect(h.filesBelow(h.work)).toEqual([]);
    expect(h.filesBelow(h.layout.outgoingRoot(RUN.runKey))).toEqual([]);
  });

  it("on the target: the page server's, the restore's and runc's logs", async () => {
    const h = await restoredTarget();
    await h.attempt('stopTargetContainer', RUN);
    const cleaned = await h.attempt('cleanupTarget', RUN);
    const files = ['page-server-final/page-server.log', 'restore/restore.log', 'restore/runc.log'];
    expect(cleaned).toEqual({ diagnostics: { path: h.layout.diagnostics(RUN.container, RUN.runKey), files } });
    expect(h.filesBelow(h.work)).toEqual([]);
    expect(h.filesBelow(h.layout.incomingRoot(RUN.runKey))).toEqual([]);
    // Again (an attempt whose answer was lost): the same answer, nothing moved twice.
    await expect(h.attempt('cleanupTarget', RUN)).resolves.toEqual(cleaned);
    expect(keptFiles(h)).toEqual(['kept.json', ...files]);
  });

  it('of a run that left no logs, keeps nothing and makes no directory', async () => {
    const h = testHost();
    await expect(h.attempt('cleanupTarget', RUN)).resolves.toEqual({});
    expect(await h.rt.exists(h.layout.diagnosticsRoot(RUN.container))).toBe(false);
  });
});

describe('a migrated run', () => {
  it('keeps no logs on either host, as before', async () => {
    const source = await dumpedSource();
    await source.attempt('commitSource', RUN);
    const target = await restoredTarget();
    await target.attempt('finishTarget', { ...RUN, keepImages: false });
    for (const h of [source, target]) {
      expect(await h.rt.exists(h.layout.diagnosticsRoot(RUN.container))).toBe(false);
      expect(h.filesBelow(h.work)).toEqual([]);
    }
  });
});

describe('retention', () => {
  let now = 0;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it(`keeps the newest ${KEPT_RUNS_PER_CONTAINER} runs of a container on a host, and leaves other containers' alone`, async () => {
    const h = testHost();
    const other: RunRef = { ...RUN, container: 'db', runKey: 'db-run' };
    now = 500;
    leaveLogs(h, other);
    await h.attempt('cleanupTarget', other);
    const runs = [1, 2, 3, 4, 5, 6, 7].map((i): RunRef => ({ ...RUN, runKey: `run-${i}` }));
    for (const [i, run] of runs.entries()) {
      now = 1000 * (i + 1);
      leaveLogs(h, run);
      const cleaned = await h.attempt('cleanupTarget', run);
      expect(cleaned.diagnostics?.files).toEqual(['dump/dump.log']);
    }
    const kept = new Set(h.filesBelow(h.layout.diagnosticsRoot(RUN.container)).map((f) => path.relative(h.layout.diagnosticsRoot(RUN.container), f).split('/')[0]));
    expect([...kept].sort()).toEqual(['run-3', 'run-4', 'run-5', 'run-6', 'run-7']);
    expect(keptFiles(h, other)).toEqual(['dump/dump.log', 'kept.json']);
  });

  it('orders by when a run was first kept (a retry does not make it newer); an unreadable marker counts as oldest', async () => {
    const h = testHost();
    const run = (i: number): RunRef => ({ ...RUN, runKey: `run-${i}` });
    // run-9 is kept first, and its rollback is retried after all the others.
    now = 100;
    leaveLogs(h, run(9), ['dump/dump.log', 'restore/restore.log']);
    h.rt.crashBefore(removing(h.layout.workRoot('run-9')));
    await expect(h.attempt('cleanupTarget', run(9))).rejects.toThrow(SimulatedCrash);
    for (const i of [1, 2, 3, 4]) {
      now = 1000 * i;
      leaveLogs(h, run(i));
      await h.attempt('cleanupTarget', run(i));
    }
    h.rt.put(path.join(h.layout.diagnostics(RUN.container, 'run-2'), 'kept.json'), 'torn');
    now = 9000;
    await h.attempt('cleanupTarget', run(9));
    now = 10_000;
    leaveLogs(h, run(5));
    await h.attempt('cleanupTarget', run(5));
    const kept = new Set(h.filesBelow(h.layout.diagnosticsRoot(RUN.container)).map((f) => path.relative(h.layout.diagnosticsRoot(RUN.container), f).split('/')[0]));
    // Six runs: run-2 goes first (no readable marker), then nothing else.
    expect([...kept].sort()).toEqual(['run-1', 'run-3', 'run-4', 'run-5', 'run-9']);
    leaveLogs(h, run(6));
    now = 11_000;
    await h.attempt('cleanupTarget', run(6));
    const after = new Set(h.filesBelow(h.layout.diagnosticsRoot(RUN.container)).map((f) => path.relative(h.layout.diagnosticsRoot(RUN.container), f).split('/')[0]));
    // run-9 was first kept at 100, before run-1: it is the oldest now, whatever its retry's time.
    expect([...after].sort()).toEqual(['run-1', 'run-3', 'run-4', 'run-5', 'run-6']);
  });
});

describe('a retry after a crash', () => {
  it('moves what the crashed attempt left and ends with every log kept once', async () => {
    const h = await dumpedSource();
    h.tools.container(RUN.container, h.layout.bundle(RUN.container), 'paused');
    // Killed half-way through the move: the pre-dump round's log is still in the work directory.
    h.rt.crashBefore(renaming(path.join(h.layout.work(RUN.runKey, 'round-1'), 'dump.log')));
    await expect(h.attempt('resumeSource', RUN)).rejects.toThrow(SimulatedCrash);
    expect(keptFiles(h)).toEqual(['dump/dump.log', 'kept.json']);
    expect(h.rt.files.has(path.join(h.layout.work(RUN.runKey, 'round-1'), 'dump.log'))).toBe(true);
    const marker = h.rt.text(path.join(h.layout.diagnostics(RUN.container, RUN.runKey), 'kept.json'));

    const resumed = await h.attempt('resumeSource', RUN);
    expect(resumed.diagnostics?.files).toEqual(['dump/dump.log', 'round-1/dump.log']);
    expect(keptFiles(h)).toEqual(['dump/dump.log', 'kept.json', 'round-1/dump.log']);
    expect(h.rt.text(path.join(h.layout.diagnostics(RUN.container, RUN.runKey), 'kept.json'))).toBe(marker);
    expect(h.filesBelow(h.work)).toEqual([]);
  });

  it('after the logs were moved but before the work directory went, answers where they are', async () => {
    const h = await restoredTarget();
    h.rt.crashBefore(removing(h.work));
    await expect(h.attempt('cleanupTarget', RUN)).rejects.toThrow(SimulatedCrash);
    const cleaned = await h.attempt('cleanupTarget', RUN);
    expect(cleaned.diagnostics?.files).toEqual(['page-server-final/page-server.log', 'restore/restore.log', 'restore/runc.log']);
    expect(h.filesBelow(h.work)).toEqual([]);
  });
});

describe('best effort', () => {
  it('a rollback whose logs cannot be kept still succeeds, and clears the work directory as before', async () => {
    const h = await dumpedSource();
    h.rt.rename = () => Promise.reject(new Error('EIO: i/o error'));
    await expect(h.attempt('resumeSource', RUN)).resolves.toEqual({ action: 'resumed' });
    expect(h.tools.status(RUN.container)).toBe('running');
    expect(h.filesBelow(h.work)).toEqual([]);
  });

  it('nor does a failure to delete older runs hide where this one\'s logs are', async () => {
    const h = testHost();
    for (const i of [1, 2, 3, 4, 5]) {
      leaveLogs(h, { ...RUN, runKey: `old-${i}` });
      await h.attempt('cleanupTarget', { ...RUN, runKey: `old-${i}` });
    }
    const remove = h.rt.remove.bind(h.rt);
    h.rt.remove = (target) => (target.includes('/diagnostics/') ? Promise.reject(new Error('EACCES')) : remove(target));
    leaveLogs(h, RUN);
    await expect(h.attempt('cleanupTarget', RUN)).resolves.toEqual({ diagnostics: { path: h.layout.diagnostics(RUN.container, RUN.runKey), files: ['dump/dump.log'] } });
  });
});

describe('keepDiagnostics (after a failed rollback)', () => {
  it('moves only the logs: the records stay in the work directory for a person; twice is the same', async () => {
    const h = await dumpedSource();
    h.tools.setStatus(RUN.container, 'stopped');
    // No local pages (a page-server dump): resumeSource cannot bring the source back.
    h.rt.files.delete(path.join(h.layout.outgoingImages(RUN.runKey), 'pages-1.img'));
    await expect(h.attempt('resumeSource', RUN)).rejects.toThrow(/no local images can bring it back/);
    const kept = await h.attempt('keepDiagnostics', RUN);
    expect(kept.diagnostics?.files).toEqual(['dump/dump.log', 'round-1/dump.log']);
    await expect(h.attempt('keepDiagnostics', RUN)).resolves.toEqual(kept);
    expect(h.rt.files.has(path.join(h.work, 'dump.json'))).toBe(true);
    expect(h.filesBelow(h.work).filter((f) => f.endsWith('.log'))).toEqual([]);
  });
});
