// `godwit demo`: bring the lab up, start the workload on alpha with an address of its own,
// migrate it to beta while a client keeps reading it, and show that its in-memory counter
// continued and how long the client waited.
import { z } from 'zod';
import { labRemove, labRun, labUp } from '../infra/lab/lab';
import { connectToLab } from '../infra/lab/client';
import { waitFor } from '../infra/lab/processes';
import { buildWorkloadBundle, readCounter, WORKLOAD_PORT } from '../infra/demo/workload';
import { CounterProbe } from '../infra/demo/probe';
import { MigrationReport } from '../policy/report';
import { followMigration, startMigration } from '../client/migrations';
import { formatProgress, formatReport } from '../client/format';

export const DEMO_CONTAINER = 'godwit-demo';

export const DemoResult = z.object({
  report: MigrationReport,
  counter: z.object({ beforeFreeze: z.number(), afterRestore: z.number().nullable(), continued: z.boolean() }),
  /** A client reading the counter every 10 ms at the container's address: the longest it went unanswered. */
  client: z.object({ address: z.string(), longestGapSeconds: z.number().nullable() }),
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
    `client at ${result.client.address}: longest wait for an answer ${result.client.longestGapSeconds === null ? 'never answered' : `${result.client.longestGapSeconds.toFixed(3)}s`} (downtime ${report.seconds.downtime === null ? '-' : `${report.seconds.downtime.toFixed(3)}s`})`,
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
  // Its own address on the lab's container network: the same on beta, clients need not know.
  const address = await labRun(alpha.name, DEMO_CONTAINER, bundle, { unique: true, network: 'own' });
  await waitFor('the demo workload to answer', async () => (await readCounter(address, WORKLOAD_PORT)) > 0, 30_000);
  ctx.say(`started ${DEMO_CONTAINER} on ${alpha.name} (${options.memoryMib} MiB, counter on ${address}:${WORKLOAD_PORT})`);

  // The lab's own server, whatever else is configured: its workers poll there.
  const { client, close } = await connectToLab();
  const probe = new CounterProbe([address], WORKLOAD_PORT);
  try {
    const beforeFreeze = await readCounter(address, WORKLOAD_PORT);
    const handle = await startMigration(client, {
      container: DEMO_CONTAINER,
      source: alpha.name,
      target: beta.name,
      options: { healthCheck: { exec: ['/workload', '--check', '--port', String(WORKLOAD_PORT)], timeoutSeconds: 10 } },
    });
    ctx.say(`migrating ${DEMO_CONTAINER} ${alpha.name} -> ${beta.name} (workflow ${handle.workflowId})`);
    const report = await followMigration(handle, { onProgress: (p) => ctx.say(`  ${formatProgress(p)}`) });
    const afterRestore = await readCounter(address, WORKLOAD_PORT).catch(() => null);
    return {
      report,
      counter: { beforeFreeze, afterRestore, continued: afterRestore !== null && afterRestore > beforeFreeze },
      client: { address, longestGapSeconds: await probe.stop() },
      ui: `${lab.temporal.ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`,
      stop: 'npx godwit lab down',
    };
  } finally {
    await probe.stop();
    await close();
  }
}
