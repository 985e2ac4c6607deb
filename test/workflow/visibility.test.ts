// What a person sees in the Temporal UI: search attributes to filter by, kept current, and
// the workflow's current details while it runs.
import { abortMigration, resultOf, startMigration } from '../../client/migrations';
import { SEARCH_ATTRIBUTES } from '../../policy/search-attributes';
import { newFleet, useEnvironment, withWorkers } from './harness';
import { progressQuery } from '../../workflows/definitions';

jest.setTimeout(60_000);

const t = useEnvironment();

/** The Godwit search attributes of a workflow, by short name. */
async function attributesOf(workflowId: string): Promise<Record<string, unknown>> {
  const { typedSearchAttributes } = await t.env.client.workflow.getHandle(workflowId).describe();
  return Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, key]) => [name, typedSearchAttributes.get(key)]));
}

/** The list query a person types into the UI, until it finds `expected` (visibility lags). */
async function listIds(query: string, expected: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ids: string[] = [];
    for await (const w of t.env.client.workflow.list({ query })) ids.push(w.workflowId);
    if (ids.length >= expected || Date.now() > deadline) return ids.sort();
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the UI view of a migration', () => {
  it('keeps container, hosts, phase, strategy and outcome current, and shows progress as details', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushImages');
    const container = 'vis-web';
    const report = await withWorkers(t.env, t.bundle, fleet, async () => {
      const handle = await startMigration(t.env.client, { container, source: 'alpha', target: 'beta', strategy: 'page-server' });
      await stall.entered;
      // The push starts on the host as the dump ends there; the workflow hears of it a moment later.
      for (let i = 0; i < 50 && (await handle.query(progressQuery)).phase !== 'transfer'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await attributesOf(handle.workflowId)).toEqual({
        container,
        source: 'alpha',
        target: 'beta',
        phase: 'transfer',
        strategy: 'page-server',
        outcome: undefined,
      });
      const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(currentDetails).toContain(`**${container}**: alpha → beta, phase **transfer**`);
      expect(currentDetails).toMatch(/64\.0 MiB moved/);
      expect(await (await handle.describe()).staticSummary()).toBe(`migrate ${container}: alpha → beta (page-server)`);
      stall.release();
      return resultOf(handle);
    });
    expect(report.outcome).toBe('migrated');
    expect(await attributesOf(report.workflowId)).toMatchObject({ phase: 'done', outcome: 'migrated' });
  });

  it('lets a person filter: rolled-back migrations that left host alpha', async () => {
    const fleet = newFleet();
    const stall = fleet.alpha.stallAt('pushBundle');
    await withWorkers(t.env, t.bundle, fleet, async () => {
      const kept = await startMigration(t.env.client, { container: 'vis-a', source: 'alpha', target: 'beta' });
      await stall.entered;
      await abortMigration(t.env.client, 'vis-a', 'filter test');
      stall.release();
      expect((await resultOf(kept)).outcome).toBe('rolled-back');
      const moved = await startMigration(t.env.client, { container: 'vis-b', source: 'alpha', target: 'beta' });
      expect((await resultOf(moved)).outcome).toBe('migrated');
    });
    const query = `GodwitSource = 'alpha' AND GodwitOutcome = 'rolled-back' AND GodwitContainer STARTS_WITH 'vis-'`;
    expect(await listIds(query, 1)).toEqual(['godwit-migrate-vis-a']);
  });

  it('marks a migration refused in preflight as refused', async () => {
    const fleet = newFleet();
    fleet.beta.failAt('preflightTarget');
    const handle = await withWorkers(t.env, t.bundle, fleet, async () => {
      const h = await startMigration(t.env.client, { container: 'vis-c', source: 'alpha', target: 'beta' });
      await expect(resultOf(h)).rejects.toThrow(/injected failure of preflightTarget/);
      return h;
    });
    expect(await attributesOf(handle.workflowId)).toMatchObject({ outcome: 'refused', phase: 'done' });
  });
});
