// Scheduled rebalancing on a real three-host lab: alpha is loaded with containers, a Temporal
// Schedule runs the RebalanceWorkflow every 15 s, real migrations move containers until no
// host is over its target, the next run plans nothing, and every moved counter continued.
import type { Client } from '@temporalio/client';
import { connectToLab } from '../../infra/lab/client';
import { deleteSchedule, describeSchedule, upsertRebalanceSchedule } from '../../client/schedules';
import { defaultLabOptions, labRemove, labUp, listContainers } from '../../infra/lab/lab';
import type { LabState } from '../../infra/lab/state';
import { RebalanceReport, type RebalanceRequestInput } from '../../policy/rebalance-request';
import { DEFAULT_EXCLUDE_LABEL } from '../../policy/rebalance';
import { host, leftovers, startWorkload, statusOn, type Workload } from './lab';

jest.setTimeout(8 * 60_000);

let lab: LabState;
let client: Client;
let close: () => Promise<void>;
const SCHEDULE = 'godwit-rebalance-e2e';

/** Rebalancing workloads on the lab (this run's or a failed earlier run's), or with `all`, every container: the plan counts whatever runs. */
async function removeWorkloads(all = false): Promise<void> {
  for (const h of lab.hosts) for (const c of await listContainers(h)) if (all || c.name.startsWith('rb-')) await labRemove(h.name, c.name);
}

beforeAll(async () => {
  lab = await labUp({ ...defaultLabOptions(), hosts: ['alpha', 'beta', 'gamma'], faultInjection: true });
  ({ client, close } = await connectToLab());
  // A demo or an earlier file's container would load a host and change the plan.
  await removeWorkloads(true);
}, 180_000);

afterAll(async () => {
  await deleteSchedule(client, SCHEDULE).catch(() => undefined);
  await removeWorkloads();
  await close?.();
});

/** Lab hosts offer 512 MiB each: 128 + 4 x 64 MiB puts alpha near 77% of its memory. */
const request: RebalanceRequestInput = {
  policy: { thresholds: { cpu: 90, memory: 30 }, targetThresholds: { cpu: 95, memory: 60 } },
  hostTimeoutSeconds: 30,
};

/** The reports of the schedule's runs that have finished, oldest first, once there are `n`. */
async function finishedRuns(n: number): Promise<RebalanceReport[]> {
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline) {
    const { info } = await describeSchedule(client, SCHEDULE);
    const reports: RebalanceReport[] = [];
    for (const action of info.recentActions) {
      const handle = client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
      if ((await handle.describe()).status.name === 'RUNNING') break;
      reports.push(RebalanceReport.parse(await handle.result()));
    }
    if (reports.length >= n) return reports;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`the schedule did not finish ${n} runs within 5 minutes`);
}

describe('scheduled rebalancing on the lab', () => {
  it('moves containers off the hot host until none is over its target; the next run plans nothing', async () => {
    // Names new to this lab's history: the cooldown would hold containers moved by an earlier run.
    const run = Date.now().toString(36);
    const pinned = await startWorkload(lab, 'alpha', `rb-${run}-pinned`, 7501, { alone: true, memoryMib: 128, annotations: { [DEFAULT_EXCLUDE_LABEL]: 'true' } });
    const movable: Workload[] = [];
    for (let i = 1; i <= 4; i++) movable.push(await startWorkload(lab, 'alpha', `rb-${run}-${i}`, 7501 + i));
    const before = new Map<string, number>();
    for (const w of [pinned, ...movable]) before.set(w.container, await w.counterOn(host(lab, 'alpha')));

    await upsertRebalanceSchedule(client, { everyMs: 15_000, request }, SCHEDULE);
    const [first, second] = await finishedRuns(2);
    await deleteSchedule(client, SCHEDULE);

    // The first run: alpha over 60%, two containers moved (the per-host outbound cap), the
    // pinned one never, each to a different under-used host.
    expect(first.plan.hosts.find((h) => h.host === 'alpha')?.class).toBe('over-used');
    expect(first.plan.skipped.find((s) => s.container === pinned.container)?.reason).toMatch(/no-rebalance/);
    expect(first.moves).toHaveLength(2);
    for (const move of first.moves) expect(move).toMatchObject({ source: 'alpha', outcome: 'migrated' });
    expect(new Set(first.moves.map((m) => m.target))).toEqual(new Set(['beta', 'gamma']));

    // The next run: nothing over its target, nothing to do.
    expect(second.plan.moves).toEqual([]);
    expect(second.plan.hosts.filter((h) => h.class === 'over-used')).toEqual([]);

    // Every container runs exactly once, where the report says, and its counter went on.
    const movedTo = new Map(first.moves.map((m) => [m.container, m.target]));
    for (const w of [pinned, ...movable]) {
      const on = movedTo.get(w.container) ?? 'alpha';
      for (const h of lab.hosts) expect([h.name, await statusOn(h, w.container)]).toEqual([h.name, h.name === on ? 'running' : 'absent']);
      expect(await w.counterOn(host(lab, on))).toBeGreaterThan(before.get(w.container) ?? Infinity);
    }
    for (const h of lab.hosts) expect(await leftovers(h)).toEqual([]);
  });
});
