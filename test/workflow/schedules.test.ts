// `godwit schedule ...` against a real dev server: the Schedule it makes is the one the
// server describes, re-running it updates rather than duplicates, and a missing schedule is
// a readable error. No workers: only schedules are managed here (the one run triggered below
// just waits on its task queue until the server is torn down).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { deleteSchedule, describeSchedule, listSchedules, pauseSchedule, triggerSchedule, unpauseSchedule, upsertRebalanceSchedule } from '../../client/schedules';
import { startRebalance } from '../../client/rebalancing';
import { formatScheduleList } from '../../client/format';
import { parseScheduleRebalanceArgs, rebalanceRequestOf } from '../../cli/rebalance-args';
import { GodwitError } from '../../client/errors';
import { ORCHESTRATOR_TASK_QUEUE, REBALANCE_SCHEDULE_ID, REBALANCE_WORKFLOW, REBALANCE_WORKFLOW_ID } from '../../policy/names';
import { startEnvironment } from './harness';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  ({ env } = await startEnvironment());
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** As the CLI does it: the flags, parsed and turned into the request. Intervals of hours, so nothing fires on its own. */
function settingsOf(args: string[]) {
  const parsed = parseScheduleRebalanceArgs(args);
  return { everyMs: parsed.everyMs, request: rebalanceRequestOf(parsed) };
}

/** The schedule IDs the (eventually consistent) list shows, once it shows `expected` of them. */
async function listedIds(expected: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    if (ids.length === expected || Date.now() > deadline) return ids;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GodwitError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

// One schedule's life, step by step: each test starts where the one before left it.
describe('the rebalance schedule', () => {
  it('is created with the interval, overlap SKIP and the checked request as the one argument', async () => {
    const settings = settingsOf(['--every', '1h30m', '--max-concurrent', '3', '--strategy', 'pre-copy']);
    const upserted = await upsertRebalanceSchedule(env.client, settings);
    expect(upserted).toEqual({ scheduleId: REBALANCE_SCHEDULE_ID, created: true, everyMs: 5_400_000, dryRun: false, paused: false });

    const d = await describeSchedule(env.client);
    expect(d.spec.intervals?.map((i) => i.every)).toEqual([5_400_000]);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.state.paused).toBe(false);
    expect(d.action.workflowType).toBe(REBALANCE_WORKFLOW);
    expect(d.action.workflowId).toBe(REBALANCE_WORKFLOW_ID);
    expect(d.action.taskQueue).toBe(ORCHESTRATOR_TASK_QUEUE);
    expect(d.action.args).toEqual([settings.request]);
    expect(d.action.args?.[0]).toMatchObject({ dryRun: false, maxConcurrentMoves: 3, strategy: 'pre-copy' });
    expect(d.action.staticSummary).toBe('scheduled rebalance every 1h30m');
    expect(d.info.nextActionTimes.length).toBeGreaterThan(0);
  });

  it('is updated, not duplicated, when made again with other settings', async () => {
    const settings = settingsOf(['--every', '2h', '--dry-run']);
    const upserted = await upsertRebalanceSchedule(env.client, settings);
    expect(upserted).toMatchObject({ created: false, everyMs: 7_200_000, dryRun: true, paused: false });

    const d = await describeSchedule(env.client);
    expect(d.spec.intervals?.map((i) => i.every)).toEqual([7_200_000]);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.action.args).toEqual([settings.request]);
    expect(d.action.args?.[0]).toMatchObject({ dryRun: true, maxConcurrentMoves: 2, strategy: 'auto' });
    expect(await listedIds(1)).toEqual([REBALANCE_SCHEDULE_ID]);
  });

  it('pauses, stays paused across an update, and unpauses', async () => {
    await pauseSchedule(env.client);
    expect((await describeSchedule(env.client)).state.paused).toBe(true);

    const upserted = await upsertRebalanceSchedule(env.client, settingsOf(['--every', '2h', '--dry-run']));
    expect(upserted).toMatchObject({ created: false, paused: true });
    expect((await describeSchedule(env.client)).state.paused).toBe(true);

    await unpauseSchedule(env.client);
    expect((await describeSchedule(env.client)).state.paused).toBe(false);
  });

  it('runs once when triggered, and the list shows it', async () => {
    const triggered = await triggerSchedule(env.client);
    expect(triggered).toMatchObject({ scheduleId: REBALANCE_SCHEDULE_ID, runningAlready: [], overlap: 'SKIP' });
    const deadline = Date.now() + 10_000;
    while ((await describeSchedule(env.client)).info.recentActions.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const [run] = (await describeSchedule(env.client)).info.recentActions;
    // The server appends the scheduled time to the action's workflow ID.
    expect(run.action.workflow.workflowId).toMatch(new RegExp(`^${REBALANCE_WORKFLOW_ID}-`));

    const rows = await listSchedules(env.client);
    expect(rows).toHaveLength(1);
    expect(Date.parse(rows[0].nextRun ?? '')).toBeGreaterThan(Date.now());
    expect(rows[0]).toEqual({
      scheduleId: REBALANCE_SCHEDULE_ID,
      workflowType: REBALANCE_WORKFLOW,
      every: '2h',
      paused: false,
      nextRun: rows[0].nextRun,
      // No worker: the run waits for one.
      lastRun: `running (${run.action.workflow.workflowId})`,
    });
    expect(formatScheduleList(rows)).toMatch(new RegExp(`^ID +EVERY +STATE +NEXT RUN +LAST RUN\n${REBALANCE_SCHEDULE_ID} +2h +active +\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z +running \\(`));
  });

  it('is deleted, and deleting or pausing it again is a clear not-found error', async () => {
    await deleteSchedule(env.client);
    const message = `no schedule "${REBALANCE_SCHEDULE_ID}"`;
    expect(await refusal(describeSchedule(env.client))).toBe(message);
    expect(await refusal(deleteSchedule(env.client))).toBe(message);
    expect(await refusal(pauseSchedule(env.client))).toBe(message);
    expect(await refusal(unpauseSchedule(env.client))).toBe(message);
    expect(await refusal(triggerSchedule(env.client))).toBe(message);
    expect(await refusal(deleteSchedule(env.client, 'no-such-schedule'))).toBe('no schedule "no-such-schedule"');
    expect(await listedIds(0)).toEqual([]);
  });

  it('can be made again after a delete', async () => {
    const upserted = await upsertRebalanceSchedule(env.client, settingsOf(['--every', '45m']));
    expect(upserted).toMatchObject({ created: true, everyMs: 2_700_000, dryRun: false });
    expect((await describeSchedule(env.client)).spec.intervals?.map((i) => i.every)).toEqual([2_700_000]);
    await deleteSchedule(env.client);
  });
});

describe('godwit rebalance', () => {
  it('starts one run at a time, with a summary for the UI, and refuses a bad request before the server sees it', async () => {
    // No worker: the run stays running, which is what the second start must run into.
    const handle = await startRebalance(env.client, { dryRun: true });
    expect(handle.workflowId).toBe(REBALANCE_WORKFLOW_ID);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('rebalance (dry run)');
    expect(await refusal(startRebalance(env.client, {}))).toBe(
      `a rebalance is already running (workflow ${REBALANCE_WORKFLOW_ID})`,
    );
    expect(await refusal(startRebalance(env.client, { maxConcurrentMoves: 0 }))).toMatch(/^invalid rebalance request: maxConcurrentMoves: /);
    await handle.terminate('test over');
  });
});
