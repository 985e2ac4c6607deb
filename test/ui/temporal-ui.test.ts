// The Temporal Web UI as a person uses it, in a real (headless) browser against the lab: start
// a migration from the Start Workflow form, find it again through Godwit's search attributes,
// and see a malformed input fail with its validation message. Screenshots: see screenshot() in temporal-ui.ts.
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { connectToLab } from '../../infra/lab/client';
import { labRemove } from '../../infra/lab/lab';
import type { LabState } from '../../infra/lab/state';
import { MIGRATION_WORKFLOW, migrationWorkflowId, ORCHESTRATOR_TASK_QUEUE } from '../../policy/names';
import { parseMigrationRequest } from '../../policy/request';
import type { MigrationReport } from '../../policy/report';
import { bringLabUp, host, startWorkload, statusOn } from '../e2e/lab';
import { openBrowser, type UiBrowser } from './browser';
import { filterWorkflows, openRun, screenshot, startWorkflowFromForm, waitForText } from './temporal-ui';

jest.setTimeout(300_000);

let lab: LabState;
let client: Client;
let close: () => Promise<void>;
let ui: UiBrowser;
const containers: string[] = [];

beforeAll(async () => {
  lab = await bringLabUp();
  ({ client, close } = await connectToLab());
  ui = await openBrowser();
}, 300_000);

afterAll(async () => {
  await ui?.close();
  await close?.();
  for (const container of containers) for (const h of lab?.hosts ?? []) await labRemove(h.name, container).catch(() => undefined);
}, 120_000);

/** A run left over from an interrupted earlier try would refuse the start: end it first. */
async function noRunning(workflowId: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const status = await handle.describe().then((d) => d.status.name, () => 'NONE');
  if (status === 'RUNNING') await handle.terminate('left over from an earlier UI test run');
}

describe('the Temporal Web UI', () => {
  it('starts a migration from the Start Workflow form, and the search-attribute filter finds it', async () => {
    const container = 'ui-start-form';
    containers.push(container);
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', container, 7401);
    const workflowId = migrationWorkflowId(container);
    await noRunning(workflowId);
    const before = await w.counterOn(alpha);

    const run = await startWorkflowFromForm(ui.page, lab.temporal.ui, {
      workflowId,
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowType: MIGRATION_WORKFLOW,
      input: JSON.stringify({ container, source: 'alpha', target: 'beta' }),
    });
    await screenshot(ui.page, 'start-workflow.png');
    expect(run.workflowId).toBe(workflowId);

    const report = await client.workflow.getHandle<() => Promise<MigrationReport>>(workflowId, run.runId).result();
    expect(report.reason).toBeNull();
    expect(report.outcome).toBe('migrated');
    expect(await statusOn(beta, container)).toBe('running');
    expect(await statusOn(alpha, container)).toBe('absent');
    expect(await w.counterOn(beta)).toBeGreaterThan(before);

    const row = await filterWorkflows(ui.page, lab.temporal.ui, `GodwitContainer = '${container}' AND GodwitOutcome = 'migrated'`, run.runId);
    // The badge's text is upper-cased by CSS: innerText is what is seen, COMPLETED.
    expect(await row.getByTestId('execution-status').innerText()).toMatch(/^completed$/i);
    expect(await row.getByRole('link', { name: workflowId, exact: true }).count()).toBe(1);
    // Only the migrations of this container with that outcome are listed.
    const rows = ui.page.getByTestId('workflows-summary-configurable-table-row');
    for (const text of await rows.allInnerTexts()) expect(text).toContain(workflowId);
    await screenshot(ui.page, 'filtered-list.png');
  });

  it('shows a migration with malformed input as Failed, with the validation message', async () => {
    const input = { container: '../etc', source: 'alpha' };
    const parsed = parseMigrationRequest(input);
    if (parsed.ok) throw new Error('the input meant to be malformed was accepted');
    // The container name is not one, so there is no godwit-migrate-<container> to use.
    const workflowId = 'godwit-migrate-ui-invalid';
    await noRunning(workflowId);

    const run = await startWorkflowFromForm(ui.page, lab.temporal.ui, {
      workflowId,
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowType: MIGRATION_WORKFLOW,
      input: JSON.stringify(input),
    });
    const failure = await client.workflow.getHandle(workflowId, run.runId).result().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toBe(parsed.error);

    const page = await openRun(ui.page, lab.temporal.ui, workflowId, run.runId);
    await waitForText(ui.page, page.status, (t) => /^failed$/i.test(t), 'the run page should show Failed');
    // The Result pane shows the failure as JSON: the message is there as a JSON string.
    const result = await waitForText(ui.page, page.result, (t) => t.includes(JSON.stringify(parsed.error)), 'the run page should show the validation message');
    expect(result).toContain('invalid migration request: container: a container name is 1-63 letters');
    expect(result).toContain('target: Invalid input: expected string, received undefined');
    await screenshot(ui.page, 'failed-validation.png');
  });
});
