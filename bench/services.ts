// `npm run bench -- --workloads redis,postgres,nginx`: real services (infra/services) migrated
// between the lab's hosts, there and back `reps` times, under their own client: what a client
// sees (the longest gap between two answers, the requests that failed) beside the downtime
// Godwit reports, and whether every acknowledged write is still there.
import type { Client } from '@temporalio/client';
import type { LabState } from '../infra/lab/state';
import { labRemove } from '../infra/lab/lab';
import { serviceClient, startService } from '../infra/services/on-lab';
import { resultOf, startMigration } from '../client/migrations';
import type { ServiceWorkload } from './model';

const PORT = 7250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ServiceSample {
  service: ServiceWorkload;
  leg: string;
  outcome: string;
  downtimeSeconds: number | null;
  clientGapSeconds: number | null;
  failedRequests: number;
  acknowledged: number;
  /** Acknowledged writes (or files) not found on the new host: must be 0. */
  missing: number;
}

export async function benchServices(client: Client, lab: LabState, services: readonly ServiceWorkload[], reps: number, say: (line: string) => void): Promise<ServiceSample[]> {
  const samples: ServiceSample[] = [];
  const [alpha, beta] = lab.hosts;
  for (const service of services) {
    const container = `bench-${service}`;
    const bundle = await startService(lab, alpha.name, service, container, PORT);
    let where = [alpha, beta];
    try {
      for (let leg = 1; leg <= 2 * reps; leg++) {
        const [from, to] = where;
        const writer = serviceClient(bundle, `leg${leg}`);
        await sleep(1000);
        const report = await resultOf(await startMigration(client, { container, source: from.name, target: to.name })).catch((err: Error) => ({ outcome: `failed: ${err.message.split('\n')[0]}`, seconds: { downtime: null } }));
        await sleep(1000);
        const seen = await writer.stop();
        const migrated = report.outcome === 'migrated';
        const missing = migrated ? (await writer.verify(to.address)).missing.length : 0;
        const sample: ServiceSample = {
          service,
          leg: `${from.name} → ${to.name}`,
          outcome: report.outcome,
          downtimeSeconds: report.seconds.downtime,
          clientGapSeconds: seen.longestGapSeconds,
          failedRequests: seen.failed,
          acknowledged: seen.acknowledged,
          missing,
        };
        say(`${service} ${sample.leg}: ${sample.outcome}, downtime ${sample.downtimeSeconds?.toFixed(3)}s, client gap ${sample.clientGapSeconds?.toFixed(3)}s, ${sample.failedRequests} failed, ${missing} missing`);
        samples.push(sample);
        if (!migrated) break;
        where = [to, from];
      }
    } finally {
      for (const h of lab.hosts) await labRemove(h.name, container);
    }
  }
  return samples;
}

const median = (xs: number[]) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const show = (x: number | null) => (x === null ? '-' : x.toFixed(3));

/** Medians per service, from one run: the client's gap as a ratio of the reported downtime. */
export function renderServiceTable(samples: readonly ServiceSample[], date: string): string {
  const lines = [
    `Real services under their own client, ${date}: medians over the legs of one run (there and back).`,
    '',
    '| service | legs migrated | downtime (s) | longest client gap (s) | gap / downtime | failed requests per leg | acknowledged writes missing |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const service of [...new Set(samples.map((s) => s.service))]) {
    const rows = samples.filter((s) => s.service === service);
    const ok = rows.filter((s) => s.outcome === 'migrated');
    const downtime = median(ok.flatMap((s) => (s.downtimeSeconds === null ? [] : [s.downtimeSeconds])));
    const gap = median(ok.flatMap((s) => (s.clientGapSeconds === null ? [] : [s.clientGapSeconds])));
    const ratio = downtime && gap !== null ? (gap / downtime).toFixed(2) : '-';
    lines.push(`| ${service} | ${ok.length} of ${rows.length} | ${show(downtime)} | ${show(gap)} | ${ratio} | ${median(ok.map((s) => s.failedRequests)) ?? '-'} | ${rows.reduce((n, s) => n + s.missing, 0)} |`);
  }
  return `${lines.join('\n')}\n`;
}
