// `godwit demo`: bring the lab up, start the workload on alpha, migrate it to beta while it
// runs, and show that its in-memory counter continued.
import { labRemove, labRun, labUp } from '../infra/lab/lab';
import { waitFor } from '../infra/lab/processes';
import { buildWorkloadBundle, readCounter, WORKLOAD_PORT } from '../infra/demo/workload';
import type { MigrationReport } from '../policy/report';
import { connectClient } from './client';
import { followMigration, startMigration } from './migrations';
import { formatProgress, formatReport } from './format';

export const DEMO_CONTAINER = 'godwit-demo';

export interface DemoResult {
  report: MigrationReport;
  counter: { beforeFreeze: number; afterRestore: number | null; continued: boolean };
  ui: string;
  stop: string;
}

export async function runDemo(options: { memoryMib: number; json: boolean }): Promise<DemoResult> {
  const say = (line: string) => (options.json ? undefined : console.log(line));
  const lab = await labUp();
  const [alpha, beta] = lab.hosts;
  // Re-runnable: whatever an earlier demo left (on either host) goes first.
  for (const host of lab.hosts) await labRemove(host.name, DEMO_CONTAINER);
  const bundle = await buildWorkloadBundle({
    name: DEMO_CONTAINER,
    memoryMib: options.memoryMib,
    dirtyMibPerSec: Math.max(1, Math.round(options.memoryMib / 32)),
    port: WORKLOAD_PORT,
  });
  await labRun(alpha.name, DEMO_CONTAINER, bundle);
  await waitFor('the demo workload to answer', async () => (await readCounter(alpha.address, WORKLOAD_PORT)) > 0, 30_000);
  say(`started ${DEMO_CONTAINER} on ${alpha.name} (${options.memoryMib} MiB, counter on ${alpha.address}:${WORKLOAD_PORT})`);

  const { client, close } = await connectClient();
  try {
    const beforeFreeze = await readCounter(alpha.address, WORKLOAD_PORT);
    const handle = await startMigration(client, {
      container: DEMO_CONTAINER,
      source: alpha.name,
      target: beta.name,
      options: { healthCheck: { exec: ['/workload', '--check', '--port', String(WORKLOAD_PORT)], timeoutSeconds: 10 } },
    });
    say(`migrating ${DEMO_CONTAINER} ${alpha.name} -> ${beta.name} (workflow ${handle.workflowId})`);
    const report = await followMigration(handle, (p) => say(`  ${formatProgress(p)}`));
    const where = report.runningOn === beta.name ? beta : alpha;
    const afterRestore = await readCounter(where.address, WORKLOAD_PORT).catch(() => null);
    const result: DemoResult = {
      report,
      counter: { beforeFreeze, afterRestore, continued: afterRestore !== null && afterRestore > beforeFreeze },
      ui: `${lab.temporal.ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`,
      stop: 'npx godwit lab down',
    };
    if (!options.json) {
      say('');
      say(formatReport(report));
      say('');
      say(`counter: ${beforeFreeze} before the freeze, ${afterRestore ?? 'unreadable'} after the restore on ${where.name}: ${result.counter.continued ? 'continued' : 'DID NOT CONTINUE'}`);
      say(`Temporal UI: ${result.ui}`);
      say(`stop everything: ${result.stop}`);
    }
    return result;
  } finally {
    await close();
  }
}
