// The RebalanceWorkflow against a real dev server, with fake hosts reporting their load:
// it plans from what the hosts say, runs the moves as child migrations, honours dry runs
// and the cooldown (found through the search attributes of finished migrations).
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { REBALANCE_WORKFLOW, REBALANCE_WORKFLOW_ID, ORCHESTRATOR_TASK_QUEUE } from '../../policy/names';
import { RebalanceReport, type RebalanceRequestInput } from '../../policy/rebalance-request';
import type { ContainerUsage } from '../../policy/rebalance';
import { newFleet, useEnvironment, withWorkers, type Fleet } from './harness';

jest.setTimeout(90_000);

const t = useEnvironment();

const container = (name: string, memoryBytes: number): ContainerUsage => ({ name, cpuCores: 0.1, memoryBytes, labels: {} });

/** alpha at 90% memory (three containers), beta empty; gamma is in the inventory but dead. */
function hotAlpha(prefix: string): Fleet {
  const fleet = newFleet();
  fleet.alpha.containers = [container(`${prefix}-a`, 400), container(`${prefix}-b`, 300), container(`${prefix}-c`, 200)];
  return fleet;
}

let runs = 0;
async function rebalance(fleet: Fleet, input: RebalanceRequestInput): Promise<RebalanceReport> {
  return withWorkers(t.env, t.bundle, fleet, async () =>
    RebalanceReport.parse(
      await t.env.client.workflow.execute(REBALANCE_WORKFLOW, {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: `${REBALANCE_WORKFLOW_ID}-test-${++runs}`,
        args: [{ hostTimeoutSeconds: 2, ...input }],
      }),
    ),
  );
}

const migrationSteps = (fleet: Fleet) => fleet.log.filter((s) => /checkpoint|restore|commitSource/.test(s));

describe('RebalanceWorkflow', () => {
  it('a dry run plans from the hosts’ load and moves nothing', async () => {
    const fleet = hotAlpha('dry');
    const report = await rebalance(fleet, { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.plan.hosts.map((h) => [h.host, h.class])).toEqual([
      ['alpha', 'over-used'],
      ['beta', 'under-used'],
    ]);
    expect(report.plan.moves).toEqual([expect.objectContaining({ container: 'dry-a', source: 'alpha', target: 'beta' })]);
    expect(report.plan.summary).toMatch(/Left out: host gamma is not responding \(no worker took utilisation\)\./);
    expect(report.moves).toEqual([]);
    expect(migrationSteps(fleet)).toEqual([]);
  });

  it('runs the planned moves as migrations, then a cooldown keeps the moved container put', async () => {
    const fleet = hotAlpha('run');
    const report = await rebalance(fleet, { policy: { thresholds: { cpu: 50, memory: 50 }, targetThresholds: { cpu: 80, memory: 50 } } });
    // 90% → move the largest (40%) → 50%: no longer over 50%.
    expect(report.moves).toEqual([
      expect.objectContaining({ container: 'run-a', source: 'alpha', target: 'beta', outcome: 'migrated', workflowId: 'godwit-migrate-run-a' }),
    ]);
    expect(migrationSteps(fleet)).toEqual(['alpha:checkpoint', 'beta:restore', 'alpha:commitSource']);

    // The fake alpha still reports run-a: only the cooldown stops a second move of it.
    const again = await rebalance(fleet, { dryRun: true, policy: { thresholds: { cpu: 50, memory: 50 }, targetThresholds: { cpu: 80, memory: 50 } } });
    expect(again.plan.moves.map((m) => m.container)).not.toContain('run-a');
    expect(again.plan.skipped.find((s) => s.container === 'run-a')?.reason).toMatch(/cooldown|moved .* ago/);
  });

  it('refuses a second rebalance while one runs: the second moves nothing', async () => {
    const fleet = hotAlpha('two');
    const stall = fleet.alpha.stallAt('utilisation');
    await withWorkers(t.env, t.bundle, fleet, async () => {
      const first = await t.env.client.workflow.start(REBALANCE_WORKFLOW, {
        taskQueue: ORCHESTRATOR_TASK_QUEUE,
        workflowId: `${REBALANCE_WORKFLOW_ID}-first`,
        args: [{ hostTimeoutSeconds: 2 }],
      });
      await stall.entered;
      const second = t.env.client.workflow.execute(REBALANCE_WORKFLOW, { taskQueue: ORCHESTRATOR_TASK_QUEUE, workflowId: `${REBALANCE_WORKFLOW_ID}-second`, args: [{}] });
      const err: unknown = await second.then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as WorkflowFailedError).cause?.message).toBe(`another rebalance is running (${REBALANCE_WORKFLOW_ID}-first); this one moved nothing`);
      stall.release();
      // Only the first run's own moves happened.
      const report = RebalanceReport.parse(await first.result());
      expect(migrationSteps(fleet).filter((s) => s.endsWith(':checkpoint'))).toHaveLength(report.moves.length);
    });
  });

  it('rejects a bad request from the UI with a readable, non-retryable error', async () => {
    const fleet = newFleet();
    const err = await rebalance(fleet, { policy: { thresholds: { cpu: 90, memory: 50 }, targetThresholds: { cpu: 80, memory: 80 } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause?.message).toMatch(/cpu threshold 90% is above the cpu target threshold 80%/);
  });
});
