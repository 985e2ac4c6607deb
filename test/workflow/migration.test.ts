import { FakeFront } from './fake-front';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { abortMigration, resultOf, startMigration } from '../../client/migrations';
import { PreflightRefusedError, RollbackFailedError } from '../../client/errors';
import { progressQuery } from '../../workflows/definitions';
import type { MigrationReport } from '../../policy/report';
import { requiredTargetBytes } from '../../policy/preflight';
import { DEFAULT_GHOST_LIMIT_BYTES } from '../../policy/request';
import type { Step } from './fake-host';
import { MIGRATION_WORKFLOW, ORCHESTRATOR_TASK_QUEUE } from '../../policy/names';
import { maybeRecordHistory, newFleet, useEnvironment, withWorkers, type Fleet } from './harness';

jest.setTimeout(60_000);

const t = useEnvironment();

let seq = 0;
const name = () => `web-${++seq}`;

async function migrate(fleet: Fleet, container: string, extra: Record<string, unknown> = {}): Promise<MigrationReport> {
  return withWorkers(t.env, t.bundle, fleet, async () => {
    const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta', ...extra });
    return resultOf(handle);
  });
}

/** A run that failed and could not roll back: the library's RollbackFailedError carries its report. */
async function migrateToFailure(fleet: Fleet, container: string, extra: Record<string, unknown> = {}): Promise<MigrationReport> {
  const err = await migrate(fleet, container, extra).then(
    (report) => new Error(`expected a failed rollback, got ${report.outcome}`),
    (e: unknown) => e,
  );
  if (!(err instanceof RollbackFailedError)) throw err;
  expect(err.kind).toBe('rollback-failed');
  return err.report;
}

/** The steps a run took, in order, without the preflight look-ups. */
const undoSteps = (fleet: Fleet) =>
  fleet.log.filter((s) => /stopTargetContainer|resumeSource|cleanupTarget/.test(s));

/** The run's pending activities by name, once four are (or after 5 s, however many are). */
async function fourPending(handle: WorkflowHandle): Promise<(string | null | undefined)[]> {
  const pending = async () => ((await handle.describe()).raw.pendingActivities ?? []).map((a) => a.activityType?.name).sort();
  for (let i = 0; i < 50 && (await pending()).length < 4; i++) await new Promise((r) => setTimeout(r, 100));
  return pending();
}

describe('MigrationWorkflow', () => {
  it('migrates through every phase in order and reports the paper columns', async () => {
    const fleet = newFleet();
    const container = name();
    const report = await migrate(fleet, container);
    expect(report.outcome).toBe('migrated');
    expect(report.runningOn).toBe('beta');
    expect(fleet.log).toEqual([
      'alpha:preflightSource',
      'beta:preflightTarget',
      'alpha:pushBundle',
      'beta:stageBundle',
      'alpha:measureLink',
      'beta:startPageServer',
      'alpha:checkpoint',
      'alpha:pushImages',
      'beta:restore',
      'beta:verify',
      'beta:admitClients',
      'alpha:commitSource',
      'beta:finishTarget',
    ]);
    expect(report.phases.map((p) => p.phase)).toEqual(['preflight', 'prepare', 'checkpoint', 'transfer', 'restore', 'verify', 'commit', 'done']);
    expect(report.strategy).toBe('page-server');
    // `auto` plans with the link the source measured (500 MiB/s in this fake).
    expect(report.plan?.reason).toMatch(/^64 MiB at 500 MiB\/s takes about 0.13s frozen, within the 1s target/);
    expect(report.bytes).toEqual({ pages: 64 << 20, viaPageServer: 64 << 20, viaRsync: 1500, total: (64 << 20) + 1500 });
    expect(report.seconds.downtime).not.toBeNull();
    expect(report.seconds.total).toBeGreaterThanOrEqual(report.seconds.checkpoint ?? 0);
    expect(report.diagnostics).toEqual([]); // a migrated run keeps no logs
    // Recorded since run keys digest the whole run ID (patch run-key-whole-id); migrated.json
    // is the same run from before that, kept so that older runs are proven to replay too.
    await maybeRecordHistory(t.env, report.workflowId, 'migrated-whole-run-key');
  });

  it('counts a held copy as down until the target admits its clients at commit', async () => {
    const fleet = newFleet();
    // A container with a network of its own: the target holds its link cut until commit.
    // An hour ahead, so that however long the steps before the freeze take on a loaded
    // machine (a minute ahead failed once when they took over a second), the admission's
    // time is what the downtime shows.
    fleet.beta.admittedAt = Date.now() + 3_600_000;
    const report = await migrate(fleet, name());
    expect(report.outcome).toBe('migrated');
    expect(fleet.log.indexOf('beta:admitClients')).toBeLessThan(fleet.log.indexOf('alpha:commitSource'));
    expect(report.seconds.downtime).toBeGreaterThanOrEqual(3_540);
  });

  it('holds the front just before the freeze, switches it after verify, and drops the source from it after commit', async () => {
    const fleet = newFleet();
    fleet.front = new FakeFront('edge', fleet.log);
    const report = await migrate(fleet, 'fronted-ok');
    expect(report.outcome).toBe('migrated');
    const at = (step: string) => fleet.log.indexOf(step);
    expect(at('edge:frontPreflight')).toBeGreaterThan(at('beta:preflightTarget'));
    expect(at('edge:frontPreflight')).toBeLessThan(at('alpha:pushBundle'));
    // The hold is as short as it can be: after the page server is up, right before the dump.
    expect(at('edge:drainSource')).toBe(at('alpha:checkpoint') - 1);
    expect(at('edge:switchToTarget')).toBeGreaterThan(at('beta:verify'));
    expect(at('edge:switchToTarget')).toBeLessThan(at('alpha:commitSource'));
    expect(at('edge:retireSource')).toBeGreaterThan(at('alpha:commitSource'));
    expect(fleet.log).not.toContain('edge:restoreSource');
    expect(report.front).toMatchObject({ name: 'edge', backend: 'fronted-ok', version: '2.6.12', cut: 0, released: 7, drainSeconds: 0.04 });
    expect(report.front?.heldSeconds).not.toBeNull();
  });

  it('puts the front back on the source after the source runs again, on rollback', async () => {
    const fleet = newFleet();
    fleet.front = new FakeFront('edge', fleet.log);
    fleet.beta.failAt('verify', { times: 10, fatal: true });
    const report = await migrate(fleet, 'fronted-rollback');
    expect(report.outcome).toBe('rolled-back');
    // Requests let go earlier would reach a frozen copy.
    expect(fleet.log.indexOf('edge:restoreSource')).toBeGreaterThan(fleet.log.indexOf('alpha:resumeSource'));
    expect(report.rollback.map((s) => s.step)).toContain('restoreFront');
    expect(fleet.log).not.toContain('edge:switchToTarget');
  });

  it('refuses in preflight, naming it, when the front does not answer', async () => {
    const err = await withWorkers(t.env, t.bundle, newFleet(), async () => {
      const handle = await startMigration(t.env.client, { container: 'fronted-down', source: 'alpha', target: 'beta', options: { hostTimeoutSeconds: 2 } });
      return resultOf(handle).catch((e: unknown) => e);
    });
    expect((err as Error).message).toBe('front edge is not responding (no worker took preflight)');
  });

  it('schedules the push, the restore and verify with the checkpoint: no round trip through the server between them', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('checkpoint');
    const container = name();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta', strategy: 'page-server' });
      await stall.entered;
      expect(await fourPending(handle)).toEqual(['checkpoint', 'pushImages', 'restore', 'verify']);
      // None of them started its work: each waits on its host for the one before it.
      expect(fleet.log.filter((l) => /pushImages|restore|verify/.test(l))).toEqual([]);
      stall.release();
      return resultOf(handle);
    });
    expect(report.outcome).toBe('migrated');
    expect(fleet.log.slice(fleet.log.indexOf('alpha:checkpoint'))).toEqual(['alpha:checkpoint', 'alpha:pushImages', 'beta:restore', 'beta:verify', 'beta:admitClients', 'alpha:commitSource', 'beta:finishTarget']);
    expect(report.phases.map((p) => p.phase)).toEqual(expect.arrayContaining(['checkpoint', 'transfer', 'restore', 'verify', 'commit']));
  });

  it('runs the steps one by one where a host\'s worker is of a build that would not wait', async () => {
    const fleet = newFleet();
    fleet.beta.waitsWhenReady = false;
    const report = await migrate(fleet, name(), { strategy: 'page-server' });
    expect(report.outcome).toBe('migrated');
    expect(fleet.alpha.inputs.get('pushImages')).not.toHaveProperty('whenReady');
    expect(fleet.log.slice(fleet.log.indexOf('alpha:checkpoint'), fleet.log.indexOf('beta:verify') + 1)).toEqual(['alpha:checkpoint', 'alpha:pushImages', 'beta:restore', 'beta:verify']);
  });

  // Each forward step that fails, and what must be undone, newest first.
  const cases: [Step, string, string[]][] = [
    // From the first copy on the source keeps a record of it, which its undo clears.
    ['pushBundle', 'alpha', ['alpha:resumeSource', 'beta:cleanupTarget']],
    ['stageBundle', 'beta', ['alpha:resumeSource', 'beta:cleanupTarget']],
    ['startPageServer', 'beta', ['alpha:resumeSource', 'beta:cleanupTarget']],
    ['preDump', 'alpha', ['alpha:resumeSource', 'beta:cleanupTarget']],
    // The target's restore is scheduled with the checkpoint (workflows/freeze-path.ts): from
    // then on, whatever it may have started is stopped.
    ['checkpoint', 'alpha', ['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']],
    ['pushImages', 'alpha', ['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']],
    ['restore', 'beta', ['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']],
    ['verify', 'beta', ['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']],
  ];

  it.each(cases)('rolls back when %s fails on %s, undoing in reverse order', async (step, host, expected) => {
    const fleet = newFleet();
    (host === 'alpha' ? fleet.alpha : fleet.beta).failAt(step);
    // preDump only runs with pre-copy, which needs dirty tracking on both hosts.
    if (step === 'preDump') fleet.alpha.features = fleet.beta.features = { memDirtyTrack: true, uffdNoncoop: true };
    const report = await migrate(fleet, name(), step === 'preDump' ? { strategy: 'pre-copy' } : {});
    expect(report.outcome).toBe('rolled-back');
    expect(report.runningOn).toBe('alpha');
    expect(report.reason).toMatch(new RegExp(`on host ${host} failed: injected failure of ${step}`));
    expect(undoSteps(fleet)).toEqual(expected);
    expect(report.rollback.every((s) => s.ok)).toBe(true);
    expect(fleet.log).not.toContain('alpha:commitSource');
    expect(report.seconds.downtime).toBeNull();
    if (step === 'restore') await maybeRecordHistory(t.env, report.workflowId, 'rolled-back-restore');
  });

  it('stop-and-copy dumps to disk and carries the pages with the images: no page server', async () => {
    const fleet = newFleet();
    const report = await migrate(fleet, name(), { strategy: 'stop-and-copy' });
    expect(report.outcome).toBe('migrated');
    expect(report.strategy).toBe('stop-and-copy');
    expect(fleet.log).not.toContain('beta:startPageServer');
    expect(fleet.log).toContain('alpha:checkpoint');
    expect(report.bytes.viaPageServer).toBe(0);
  });

  it('pre-copies in rounds until they converge, then takes the final dump on top of the last round', async () => {
    const fleet = newFleet();
    fleet.alpha.features = fleet.beta.features = { memDirtyTrack: true, uffdNoncoop: true };
    fleet.alpha.preDumpRounds = [
      { round: 1, pagesWritten: 65_536, pagesSkipped: 0, seconds: 4, bytes: 65_536 * 4096 },
      { round: 2, pagesWritten: 8_000, pagesSkipped: 6_000, seconds: 2, bytes: 8_000 * 4096 },
      { round: 3, pagesWritten: 40, pagesSkipped: 65_496, seconds: 0.1, bytes: 40 * 4096 },
    ];
    const report = await migrate(fleet, name(), { strategy: 'pre-copy', options: { maxDowntimeSeconds: 0.01 } });
    expect(report.outcome).toBe('migrated');
    expect(report.rounds.map((r) => r.pagesWritten)).toEqual([65_536, 8_000, 40]);
    expect(report.convergence).toBe('converged: round 3 wrote 40 pages (<= 64)');
    expect(fleet.log.filter((s) => /startPageServer|preDump|checkpoint/.test(s))).toEqual([
      'beta:startPageServer', 'alpha:preDump',
      'beta:startPageServer', 'alpha:preDump',
      'beta:startPageServer', 'alpha:preDump',
      'beta:startPageServer', 'alpha:checkpoint',
    ]);
    expect(report.seconds.preDump).toBe(6.1);
    expect(report.phases.map((p) => p.phase)).toContain('precopy');
    await maybeRecordHistory(t.env, report.workflowId, 'pre-copy');
  });

  it('auto chooses pre-copy for memory too large to copy frozen, when the kernels track dirty pages', async () => {
    const fleet = newFleet();
    fleet.alpha.features = fleet.beta.features = { memDirtyTrack: true, uffdNoncoop: true };
    const report = await migrate(fleet, name(), { options: { maxDowntimeSeconds: 0.1 } });
    expect(report.strategy).toBe('pre-copy');
    expect(report.plan).toEqual({ requested: 'auto', reason: expect.stringMatching(/over the 0.1s target: pre-copy rounds/) as unknown });
  });

  it('refuses pre-copy in preflight on kernels without dirty tracking, naming them, changing nothing', async () => {
    const fleet = newFleet();
    const err = await migrate(fleet, name(), { strategy: 'pre-copy' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('pre-copy needs dirty memory tracking (kernel CONFIG_MEM_SOFT_DIRTY), which alpha and beta lack');
    expect(fleet.log).toEqual(['alpha:preflightSource', 'beta:preflightTarget']);
  });

  it('retries a step that fails once and still migrates', async () => {
    const fleet = newFleet();
    fleet.beta.failAt('restore', { times: 1, fatal: false });
    const report = await migrate(fleet, name());
    expect(report.outcome).toBe('migrated');
    expect(fleet.log.filter((s) => s === 'beta:restore')).toHaveLength(2);
  });

  it('auto plans with the measured link: a slow link makes a frozen copy too long for the target', async () => {
    const fleet = newFleet();
    fleet.alpha.linkBytesPerSecond = 10 * 1024 * 1024;
    fleet.alpha.features = fleet.beta.features = { memDirtyTrack: true, uffdNoncoop: true };
    const report = await migrate(fleet, name());
    expect(report.strategy).toBe('pre-copy');
    expect(report.plan?.reason).toMatch(/^64 MiB at 10 MiB\/s takes about 6.40s frozen, over the 1s target: pre-copy/);
  });

  it('an explicit strategy is not second-guessed: no link measurement', async () => {
    const fleet = newFleet();
    await migrate(fleet, name(), { strategy: 'stop-and-copy' });
    expect(fleet.log).not.toContain('alpha:measureLink');
  });

  it('lets at most two migrations leave a host at once: the third waits, queued, then goes', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushBundle');
    const pushes = () => fleet.log.filter((s) => s === 'alpha:pushBundle').length;
    const reports = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handles = await Promise.all([name(), name(), name()].map((container) => startMigration(t.env.client, { container, source: 'alpha', target: 'beta' })));
      const deadline = Date.now() + 20_000;
      while (pushes() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 3000)); // time for a third to start, were it let through
      expect(pushes()).toBe(2);
      const phases = await Promise.all(handles.map(async (h) => (await h.query(progressQuery)).phase));
      expect(phases.filter((p) => p === 'queued')).toHaveLength(1);
      stall.release();
      return Promise.all(handles.map((h) => resultOf(h)));
    });
    expect(reports.map((r) => r.outcome)).toEqual(['migrated', 'migrated', 'migrated']);
    expect(pushes()).toBe(3);
    expect(reports.filter((r) => r.phases.some((p) => p.phase === 'queued'))).toHaveLength(1);
  });

  it("passes the migration's ghost limit to the final dump and counts it in the target's disk check", async () => {
    const fleet = newFleet();
    const ghostLimitBytes = 8 * 1024 * 1024;
    expect((await migrate(fleet, name(), { options: { ghostLimitBytes } })).outcome).toBe('migrated');
    expect(fleet.alpha.inputs.get('checkpoint')).toMatchObject({ ghostLimitBytes });
    // The fake source reports 64 MiB of memory and 1 MiB of root fs.
    const requiredBytes = requiredTargetBytes({ memoryBytes: 64 << 20, rootfsBytes: 1 << 20 }, { ghostLimitBytes });
    expect(fleet.beta.inputs.get('preflightTarget')).toMatchObject({ requiredBytes });
    expect(requiredBytes - requiredTargetBytes({ memoryBytes: 64 << 20, rootfsBytes: 1 << 20 })).toBe(ghostLimitBytes);
    const postCopy = newFleet();
    await migrate(postCopy, name(), { strategy: 'post-copy' });
    expect(postCopy.alpha.inputs.get('postCopyDump')).toMatchObject({ ghostLimitBytes: DEFAULT_GHOST_LIMIT_BYTES });
  });

  it('post-copy: restores before the pages move, lets clients in before the drain, and commits only once the source handed over the last page', async () => {
    const fleet = newFleet();
    const report = await migrate(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('migrated');
    expect(fleet.log.slice(2)).toEqual([
      'alpha:pushBundle',
      'beta:stageBundle',
      'alpha:postCopyDump',
      'alpha:pushImages',
      'beta:startLazyPages',
      'beta:restore',
      'beta:verify',
      // The target is the only live copy from its restore on: its clients need not wait for the drain.
      'beta:admitClients',
      'alpha:awaitPagesDrained',
      'alpha:commitSource',
      'beta:finishTarget',
    ]);
    expect(report.plan?.reason).toBe('requested');
    expect(report.warnings.join('\n')).toMatch(/rollback to alpha was possible only until the restore on beta started/);
    // The time it ran on the source's memory: from its restore to the last page.
    expect(report.postCopy?.drainSeconds).toBeGreaterThanOrEqual(0);
    expect(report.postCopy?.drainSeconds).toBeLessThan(60);
  });

  it('post-copy: the drain counts from the restore, not from a later admission of clients', async () => {
    const fleet = newFleet();
    // Held until long after the last page arrived: from the admission, the drain would read 0.
    fleet.beta.admittedAt = Date.now() + 3_600_000;
    const report = await migrate(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('migrated');
    expect(report.seconds.downtime).toBeGreaterThanOrEqual(3_540);
    // Verify and the admission ran between the restore and the drain's end: some time passed.
    expect(report.postCopy?.drainSeconds).toBeGreaterThan(0);
    expect(report.postCopy?.drainSeconds).toBeLessThan(60);
  });

  it('post-copy: the dump, push, lazy-pages daemon and restore are scheduled together, each waiting on its host', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('postCopyDump');
    const container = name();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta', strategy: 'post-copy' });
      await stall.entered;
      expect(await fourPending(handle)).toEqual(['postCopyDump', 'pushImages', 'restore', 'startLazyPages']);
      // None of them started its work: each waits on its host for the one before it.
      expect(fleet.log.filter((l) => /pushImages|startLazyPages|restore/.test(l))).toEqual([]);
      stall.release();
      return resultOf(handle);
    });
    expect(report.outcome).toBe('migrated');
    // No endpoint in its input: it reads from the images where the pages are served.
    expect(fleet.beta.inputs.get('startLazyPages')).toMatchObject({ whenReady: true });
    expect(fleet.beta.inputs.get('startLazyPages')).not.toHaveProperty('pageServer');
    expect(fleet.log.slice(fleet.log.indexOf('alpha:postCopyDump'), fleet.log.indexOf('beta:restore') + 1)).toEqual(['alpha:postCopyDump', 'alpha:pushImages', 'beta:startLazyPages', 'beta:restore']);
  });

  it('post-copy: runs the steps one by one where a host\'s worker is of a build that would not wait, handing over the endpoint', async () => {
    const fleet = newFleet();
    fleet.alpha.waitsWhenReady = false;
    const report = await migrate(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('migrated');
    expect(fleet.beta.inputs.get('startLazyPages')).toMatchObject({ pageServer: { address: '10.0.0.1', port: 4100 } });
    expect(fleet.beta.inputs.get('startLazyPages')).not.toHaveProperty('whenReady');
  });

  it('post-copy: a lazy-pages daemon that fails rolls back to the source', async () => {
    const fleet = newFleet();
    fleet.beta.failAt('startLazyPages');
    const report = await migrate(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('rolled-back');
    expect(report.runningOn).toBe('alpha');
    expect(fleet.log).not.toContain('beta:restore');
    expect(undoSteps(fleet)).toEqual(['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']);
  });

  it('post-copy: a restore that fails rolls back to the source', async () => {
    const fleet = newFleet();
    fleet.beta.failAt('restore');
    const report = await migrate(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('rolled-back');
    expect(report.runningOn).toBe('alpha');
    expect(undoSteps(fleet)).toEqual(['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']);
  });

  it('post-copy: after the target ran, a failure leaves both hosts alone and fails red', async () => {
    const fleet = newFleet();
    fleet.alpha.failAt('awaitPagesDrained');
    const report = await migrateToFailure(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('failed');
    expect(report.rollback.map((r) => [r.step, r.ok])).toEqual([['stopTargetContainer', false]]);
    expect(report.rollback[0].detail).toMatch(/container already ran on beta with pages still on alpha/);
    // Neither the running target copy is stopped nor the stale source resumed.
    expect(undoSteps(fleet)).toEqual([]);
  });

  /** Both hosts say they kept the run's logs (the undo steps that end its work directory). */
  const keepingLogs = (fleet: Fleet) => {
    for (const host of [fleet.alpha, fleet.beta]) host.keptLogs = { diagnostics: { path: `/state/${host.name}/diagnostics/web/run`, files: ['dump/dump.log'] } };
    return ['alpha', 'beta'].map((host) => ({ host, path: `/state/${host}/diagnostics/web/run`, files: ['dump/dump.log'] }));
  };

  it('a rolled-back run reports where each host kept its logs, with no step after the unwind', async () => {
    const fleet = newFleet();
    const expected = keepingLogs(fleet);
    fleet.beta.failAt('restore');
    const report = await migrate(fleet, name());
    expect(report.outcome).toBe('rolled-back');
    expect(report.diagnostics).toEqual(expected); // in the unwind's order: resumeSource, then cleanupTarget
    expect(fleet.log.filter((s) => s.endsWith(':keepDiagnostics'))).toEqual([]);
  });

  it('a failed rollback asks the hosts it did not clean up to keep their logs, and reports them', async () => {
    const fleet = newFleet();
    const expected = keepingLogs(fleet);
    fleet.alpha.failAt('awaitPagesDrained');
    const report = await migrateToFailure(fleet, name(), { strategy: 'post-copy' });
    expect(report.outcome).toBe('failed');
    expect(undoSteps(fleet)).toEqual([]);
    expect(fleet.log.filter((s) => s.endsWith(':keepDiagnostics')).sort()).toEqual(['alpha:keepDiagnostics', 'beta:keepDiagnostics']);
    expect(report.diagnostics).toEqual(expected);
  });

  it('fails the migration, changing nothing, when preflight finds a problem', async () => {
    const fleet = newFleet();
    fleet.alpha.failAt('preflightSource');
    const err = await migrate(fleet, name()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightRefusedError);
    expect((err as Error).message).toMatch(/preflight on host alpha failed: injected failure of preflightSource/);
    expect(fleet.log).toEqual(['alpha:preflightSource']);
  });

  it('calls a host whose worker is gone "not responding" within the host timeout', async () => {
    const fleet = newFleet();
    const started = Date.now();
    const err = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container: name(), source: 'alpha', target: 'gamma', options: { hostTimeoutSeconds: 2 } });
      return resultOf(handle).catch((e: unknown) => e);
    });
    expect((err as Error).message).toBe('host gamma is not responding (no worker took preflight)');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('rejects an unknown host before anything changes', async () => {
    const fleet = newFleet();
    const err = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container: name(), source: 'alpha', target: 'zeta' });
      return resultOf(handle).catch((e: unknown) => e);
    });
    expect((err as Error).message).toBe('unknown host "zeta" (known hosts: alpha, beta, gamma)');
    expect(fleet.log).toEqual([]);
  });

  it('fails a malformed request from the UI with a readable, non-retryable error', async () => {
    const fleet = newFleet();
    const err: unknown = await withWorkers(t.env, t.bundle, fleet, async (): Promise<unknown> => {
      // As the UI would send it: straight to the server, bypassing the client's own check.
      const handle = await t.env.client.workflow.start(MIGRATION_WORKFLOW, {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: `bad-input-${name()}`,
        args: [{ container: '../etc', source: 'alpha', target: 'alpha' }],
      });
      return (handle.result() as Promise<unknown>).catch((e: unknown) => e);
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as Error & { nonRetryable?: boolean };
    expect(cause.message).toMatch(/^invalid migration request: container: a container name is .*; target: source and target must be different hosts$/);
    expect(cause.nonRetryable).toBe(true);
    expect(fleet.log).toEqual([]);
  });

  it('refuses a second migration of the same container while one runs', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushBundle');
    const container = name();
    await withWorkers(t.env, t.bundle, fleet, async () => {
      const first = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta' });
      await stall.entered;
      await expect(startMigration(t.env.client, { container, source: 'beta', target: 'alpha' })).rejects.toThrow(
        `a migration of ${container} is already running (workflow godwit-migrate-${container})`,
      );
      stall.release();
      expect((await resultOf(first)).outcome).toBe('migrated');
    });
  });

  it('rolls back when aborted mid-transfer, and reports the phase and reason', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushImages');
    const container = name();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta' });
      await stall.entered;
      // The push starts on the host as the dump ends there; the workflow hears of it a moment later.
      for (let i = 0; i < 50 && (await handle.query(progressQuery)).phase !== 'transfer'; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await handle.query(progressQuery)).phase).toBe('transfer');
      expect(await abortMigration(t.env.client, container, 'maintenance window closed')).toEqual({ phase: 'transfer' });
      return resultOf(handle);
    });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('aborted: maintenance window closed');
    expect(undoSteps(fleet)).toEqual(['beta:stopTargetContainer', 'alpha:resumeSource', 'beta:cleanupTarget']);
    // The restore and verify waiting for the transfer were cancelled, never run.
    expect(fleet.log).not.toContain('beta:restore');
    await maybeRecordHistory(t.env, report.workflowId, 'aborted-transfer');
  });

  it('refuses an abort once commit has begun, and finishes the migration', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('commitSource');
    const container = name();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta' });
      await stall.entered;
      await expect(abortMigration(t.env.client, container)).rejects.toThrow(/too late to abort: the migration is in commit/);
      stall.release();
      return resultOf(handle);
    });
    expect(report.outcome).toBe('migrated');
    expect(undoSteps(fleet)).toEqual([]);
  });

  it('post-copy: refuses an abort and lets a cancellation pass once the target runs on the source\'s pages, and finishes', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('awaitPagesDrained');
    const container = name();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta', strategy: 'post-copy' });
      await stall.entered;
      await expect(abortMigration(t.env.client, container)).rejects.toThrow(/too late to abort: post-copy, the container runs on beta with pages still on alpha/);
      await t.env.client.workflow.getHandle(handle.workflowId).cancel();
      stall.release();
      return resultOf(handle);
    });
    expect(report.outcome).toBe('migrated');
    expect(undoSteps(fleet)).toEqual([]);
  });

  it('reports a failed rollback as failed, with the container on no host, when the target copy cannot be stopped', async () => {
    const fleet = newFleet();
    fleet.beta.failAt('verify').failAt('stopTargetContainer');
    const report = await migrateToFailure(fleet, name());
    expect(report.outcome).toBe('failed');
    expect(report.runningOn).toBeNull();
    // The source must stay frozen: resuming it could run the container twice.
    expect(undoSteps(fleet)).toEqual(expect.arrayContaining(['beta:stopTargetContainer']));
    expect(undoSteps(fleet)).not.toContain('alpha:resumeSource');
  });
});
