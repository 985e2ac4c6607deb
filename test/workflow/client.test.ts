// The library (client/) against a real Temporal dev server and the real workflows, with fake
// hosts: what users' own code sees. runMigration ends in a report, an AbortSignal rolls the
// migration back, watchMigration follows the phases, migrationStatus and listMigrations find
// runs through the search attributes, and each refusal is its own error type.
import {
  AbortRefusedError,
  AlreadyRunningError,
  InvalidRequestError,
  NotFoundError,
  PreflightRefusedError,
  abortMigration,
  listMigrations,
  migrationStatus,
  runMigration,
  startMigration,
  watchMigration,
  type Progress,
} from '../../client';
import { newFleet, useEnvironment, withWorkers } from './harness';

jest.setTimeout(60_000);

const t = useEnvironment();
let seq = 0;
const name = () => `lib-${++seq}`;

describe('the library against the dev server', () => {
  it('runMigration returns the report and reports each phase; migrationStatus and listMigrations find it', async () => {
    const container = name();
    const seen: Progress[] = [];
    const report = await withWorkers(t.env, t.bundle, newFleet(), () =>
      runMigration(t.env.client, { container, source: 'alpha', target: 'beta' }, { onProgress: (p) => seen.push(p) }),
    );
    expect(report.outcome).toBe('migrated');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((p) => p.container === container)).toBe(true);

    const status = await migrationStatus(t.env.client, container);
    expect(status.state === 'finished' && status.report.outcome).toBe('migrated');
    // Visibility is eventually consistent: the search attributes arrive a moment after.
    let rows = await listMigrations(t.env.client, { query: `GodwitContainer = '${container}' AND GodwitOutcome = 'migrated'` });
    for (let i = 0; rows.length === 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await listMigrations(t.env.client, { query: `GodwitContainer = '${container}' AND GodwitOutcome = 'migrated'` });
    }
    expect(rows).toEqual([
      expect.objectContaining({ container, source: 'alpha', target: 'beta', outcome: 'migrated', phase: 'done', status: 'COMPLETED' }),
    ]);
    expect(await listMigrations(t.env.client, { query: `GodwitContainer = '${container}' AND GodwitOutcome = 'rolled-back'` })).toEqual([]);
  });

  it("aborting the caller's signal rolls the migration back: a report, not an exception", async () => {
    const container = name();
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushImages');
    const stop = new AbortController();
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const running = runMigration(t.env.client, { container, source: 'alpha', target: 'beta' }, { signal: stop.signal });
      await stall.entered;
      stop.abort('the pipeline was cancelled');
      return running;
    });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('aborted: the pipeline was cancelled');
    expect(report.runningOn).toBe('alpha');
  });

  it('watchMigration yields the phases as they change and ends with the run', async () => {
    const container = name();
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushImages');
    const phases = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta' });
      const seen: string[] = [];
      for await (const p of watchMigration(handle, { intervalMs: 50 })) {
        seen.push(p.phase);
        if (p.phase === 'transfer') {
          const status = await migrationStatus(t.env.client, container);
          expect(status.state === 'running' && status.progress.phase).toBe('transfer');
          stall.release();
        }
      }
      return seen;
    });
    expect(phases).toContain('transfer');
    // Each phase once, in the pipeline's order.
    expect(new Set(phases).size).toBe(phases.length);
    expect(phases.indexOf('transfer')).toBeLessThan(phases.indexOf('done') === -1 ? Infinity : phases.indexOf('done'));
  });

  it('tells each refusal apart by its type', async () => {
    await expect(startMigration(t.env.client, { container: 'a/b', source: 'alpha', target: 'beta' })).rejects.toBeInstanceOf(InvalidRequestError);
    const unknownHost = await withWorkers(t.env, t.bundle, newFleet(), () =>
      runMigration(t.env.client, { container: name(), source: 'alpha', target: 'zeta' }).catch((e: unknown) => e),
    );
    expect(unknownHost).toBeInstanceOf(InvalidRequestError);
    expect((unknownHost as Error).message).toBe('unknown host "zeta" (known hosts: alpha, beta, gamma)');

    const fleet = newFleet();
    fleet.beta.failAt('preflightTarget');
    const refused = await withWorkers(t.env, t.bundle, fleet, () => runMigration(t.env.client, { container: name(), source: 'alpha', target: 'beta' }).catch((e: unknown) => e));
    expect(refused).toBeInstanceOf(PreflightRefusedError);
    expect((refused as PreflightRefusedError).reason).toMatch(/^preflight on host beta failed: injected failure of preflightTarget/);

    const twice = name();
    const busy = newFleet();
    const stall = busy.alpha.stallAt('pushImages');
    await withWorkers(t.env, t.bundle, busy, async () => {
      const first = await startMigration(t.env.client, { container: twice, source: 'alpha', target: 'beta' });
      await stall.entered;
      const again = await startMigration(t.env.client, { container: twice, source: 'alpha', target: 'beta' }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(AlreadyRunningError);
      expect((again as AlreadyRunningError).workflowId).toBe(first.workflowId);
      stall.release();
      await first.result();
    });
    await expect(abortMigration(t.env.client, twice)).rejects.toBeInstanceOf(AbortRefusedError);
    await expect(migrationStatus(t.env.client, 'never-started')).rejects.toBeInstanceOf(NotFoundError);
    await expect(abortMigration(t.env.client, 'never-started')).rejects.toBeInstanceOf(NotFoundError);
    const badQuery = await listMigrations(t.env.client, { query: 'GodwitNoSuchAttribute = 1' }).catch((e: unknown) => e);
    expect(badQuery).toBeInstanceOf(InvalidRequestError);
    expect((badQuery as Error).message).toMatch(/^invalid query "GodwitNoSuchAttribute = 1": .*GodwitNoSuchAttribute/);
  });
});
