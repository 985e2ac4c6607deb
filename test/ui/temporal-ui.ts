// What the UI test does in the Temporal Web UI (the one `temporal server start-dev` serves,
// UI 2.54), as a person would. Elements are found by the UI's own data-testid attributes and
// accessible names (ARIA role + label), not by CSS classes or layout, which change with styling.
import { godwitHome } from '../../infra/lab/state';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { projectRoot } from '../../infra/project-root';

export interface StartForm {
  workflowId: string;
  taskQueue: string;
  workflowType: string;
  /** The input exactly as a person would type it: one JSON document. */
  input: string;
}

export interface StartedRun {
  workflowId: string;
  runId: string;
  /** The run's page in the UI (the "Workflow started successfully" toast links to it). */
  url: string;
}

const NAMESPACE = 'default';

function namespaceUrl(base: string, rest: string): string {
  return `${base}/namespaces/${NAMESPACE}/${rest}`;
}

export function runUrl(base: string, workflowId: string, runId: string): string {
  return namespaceUrl(base, `workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`);
}

/** Fills Start Workflow's form and submits it; resolves once the UI says it started. */
export async function startWorkflowFromForm(page: Page, base: string, form: StartForm): Promise<StartedRun> {
  await page.goto(namespaceUrl(base, 'workflows/start-workflow'), { waitUntil: 'domcontentloaded' });
  await page.getByTestId('workflowId').fill(form.workflowId);
  const taskQueue = page.getByTestId('taskQueue');
  await taskQueue.fill(form.taskQueue);
  // On leaving the field the UI looks the queue up and shows a banner with its pollers: the
  // orchestrator worker must be there. Waiting for it also lets the layout settle.
  await taskQueue.blur();
  await page
    .getByText('Task Queue is Active')
    .waitFor({ timeout: 60_000 })
    .catch(() => Promise.reject(new Error(`the UI does not see a worker polling task queue ${form.taskQueue}`)));
  await page.getByTestId('workflowType').fill(form.workflowType);
  // Input > Data is a CodeMirror editor: a contenteditable with role textbox named "Data".
  const data = page.getByRole('textbox', { name: 'Data' });
  await data.fill(form.input);
  // Leaving the editor commits its text and pretty-prints it, which makes the form taller;
  // a click that started the blur itself would land where the button no longer is.
  await data.blur();
  await page.getByRole('radio', { name: 'json/plain' }).check();
  const submit = page.getByTestId('start-workflow-button');
  await waitEnabled(submit);
  await submit.click();

  const started = page.getByRole('link', { name: 'Workflow started successfully' });
  const failed = page.getByTestId('toast-live-region-assertive');
  const outcome = await Promise.race([
    started.waitFor({ timeout: 60_000 }).then(() => 'started' as const),
    failed.getByText(/./).first().waitFor({ timeout: 60_000 }).then(() => 'failed' as const),
  ]);
  if (outcome === 'failed') throw new Error(`the UI did not start ${form.workflowId}: ${await failed.innerText()}`);
  const href = await started.getAttribute('href');
  // /namespaces/default/workflows/<workflowId>/<runId>/timeline
  const match = href?.match(/\/workflows\/([^/]+)\/([^/]+)/);
  if (!match) throw new Error(`unexpected link in the UI's start toast: ${href}`);
  const [workflowId, runId] = [decodeURIComponent(match[1]), decodeURIComponent(match[2])];
  return { workflowId, runId, url: new URL(href as string, base).toString() };
}

async function waitEnabled(button: Locator): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (await button.isDisabled()) {
    if (Date.now() > deadline) throw new Error('the Start Workflow button stays disabled: is a field missing?');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The Workflows list filtered by a visibility query, typed into the raw-query box as a person
 * would. Returns the row of `runId`, waiting (and refreshing) until the list shows it:
 * visibility lags the history a little.
 */
export async function filterWorkflows(page: Page, base: string, query: string, runId: string): Promise<Locator> {
  await page.goto(namespaceUrl(base, 'workflows'), { waitUntil: 'domcontentloaded' });
  const box = page.getByTestId('workflow-manual-search-input');
  if (!(await box.isVisible())) await page.getByTestId('toggle-manual-query').click();
  await box.fill(query);
  await page.getByTestId('workflow-manual-search-button').click();
  // The query lands in the URL (?query=...), so the filtered list can be linked to.
  await page.waitForURL((url) => url.searchParams.get('query') === query);
  const row = page.getByTestId('workflows-summary-configurable-table-row').filter({ hasText: runId });
  const deadline = Date.now() + 90_000;
  while (!(await row.isVisible())) {
    if (Date.now() > deadline) throw new Error(`the list filtered by ${query} never showed run ${runId}`);
    await page.waitForTimeout(2_000);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByTestId('workflows-summary-configurable-table-row').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
  }
  return row;
}

/** A run's page: its status badge in the header ("Running", "Completed", "Failed", ...). */
export async function openRun(page: Page, base: string, workflowId: string, runId: string): Promise<{ status: Locator; result: Locator }> {
  await page.goto(runUrl(base, workflowId, runId), { waitUntil: 'domcontentloaded' });
  return {
    status: page.locator('header').getByTestId('execution-status'),
    // Input and Result are read-only CodeMirror views named by their headings.
    result: page.getByTestId('input-and-result').getByRole('textbox', { name: 'Result' }),
  };
}

/** Waits until `locator`'s text satisfies `ok`, reloading the page between looks. */
export async function waitForText(page: Page, locator: Locator, ok: (text: string) => boolean, what: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = (await locator.first().innerText({ timeout: 30_000 }).catch(() => '')).trim();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: the UI shows ${JSON.stringify(last)}`);
    await page.waitForTimeout(2_000);
    await page.reload({ waitUntil: 'domcontentloaded' });
  }
}

/**
 * Screenshots go to $GODWIT_HOME/ui-screenshots; with GODWIT_UPDATE_SCREENSHOTS=1 to docs/ui/,
 * where the README shows them (so a plain test run leaves the working tree clean).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = process.env.GODWIT_UPDATE_SCREENSHOTS === '1' ? path.join(projectRoot(), 'docs', 'ui') : path.join(godwitHome(), 'ui-screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  // `animations: 'disabled'` finishes transitions (a toast sliding in) before the picture.
  await page.screenshot({ path: file, fullPage: false, animations: 'disabled' });
  return file;
}
