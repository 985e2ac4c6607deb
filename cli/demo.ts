// `godwit demo`: bring the lab up, start the workload on alpha, migrate it to beta while it
// runs, and show that its in-memory counter continued.
import { z } from 'zod';
import { labRemove, labRun, labUp } from '../infra/lab/lab';
import { connectToLab } from '../infra/lab/client';
import { waitFor } from '../infra/lab/processes';
import { buildWorkloadBundle, readCounter, WORKLOAD_PORT } from '../infra/demo/workload';
import { MigrationReport } from '../policy/report';
import { followMigration, startMigration } from '../client/migrations';
import { formatProgress, formatReport } from '../client/format';

export const DEMO_CONTAINER = 'godwit-demo';

export const DemoResult = z.object({
  report: MigrationReport,
  counter: z.object({ beforeFreeze: z.number(), afterRestore: z.number().nullable(), continued: z.boolean() }),
  ui: z.string(),
  stop: z.string(),
});
export type DemoResult = z.infer<typeof DemoResult>;

export function formatDemo(result: DemoResult): string {
  const { report, counter } = result;
  return [
    formatReport(report),
    '',
    `counter: ${counter.beforeFreeze} before the freeze, ${counter.afterRestore ?? 'unreadable'} after the restore on ${report.runningOn ?? 'no host'}: ${counter.continued ? 'continued' : 'DID NOT CONTINUE'}`,
    `Temporal UI: ${result.ui}`,
    `stop everything: ${result.stop}`,
  ].join('\n');
}

export async function runDemo(options: { memoryMib: number }, ctx: { say(line: string): void }): Promise<DemoResult> {
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
  ctx.say(`started ${DEMO_CONTAINER} on ${alpha.name} (${options.memoryMib} MiB, counter on ${alpha.address}:${WORKLOAD_PORT})`);

  // The lab's own server, whatever else is configured: its workers poll there.
  const { client, close } = await connectToLab();
  try {
    const beforeFreeze = await readCounter(alpha.address, WORKLOAD_PORT);
    const handle = await startMigration(client, {
      container: DEMO_CONTAINER,
      source: alpha.name,
      target: beta.name,
      options: { healthCheck: { exec: ['/workload', '--check', '--port', String(WORKLOAD_PORT)], timeoutSeconds: 10 } },
    });
    ctx.say(`migrating ${DEMO_CONTAINER} ${alpha.name} -> ${beta.name} (workflow ${handle.workflowId})`);
    const report = await followMigration(handle, { onProgress: (p) => ctx.say(`  ${formatProgress(p)}`) });
    const where = report.runningOn === beta.name ? beta : alpha;
    const afterRestore = await readCounter(where.address, WORKLOAD_PORT).catch(() => null);
    return {
      report,
      counter: { beforeFreeze, afterRestore, continued: afterRestore !== null && afterRestore > beforeFreeze },
      ui: `${lab.temporal.ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`,
      stop: 'npx godwit lab down',
    };
  } finally {
    await close();
  }
}
