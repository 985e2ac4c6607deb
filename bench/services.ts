// `npm run bench -- --workloads redis,postgres,nginx`: real services (infra/services) migrated
// between the lab's hosts, there and back `reps` times, under their own client, in each
// network mode: in the host's network (clients try both hosts' addresses) and at an address
// of its own (clients hold their connections). What a client sees (the longest gap between
// two answers, the requests that failed, the connections it had to open again) beside the
// downtime Godwit reports, and whether every acknowledged write is still there.
import type { Client } from '@temporalio/client';
import type { LabState } from '../infra/lab/state';
import { labRemove } from '../infra/lab/lab';
import { serviceClient, startService } from '../infra/services/on-lab';
import { resultOf, startMigration } from '../client/migrations';
import type { ServiceWorkload } from './model';

const PORT = 7250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NETWORKS = ['host', 'own'] as const;
type NetworkMode = (typeof NETWORKS)[number];
/** Connections each service's client holds at once (HttpReaders runs 4). */
const CLIENT_CONNECTIONS: Record<ServiceWorkload, number> = { redis: 1, postgres: 1, nginx: 4 };

export interface ServiceSample {
  service: ServiceWorkload;
  network: NetworkMode;
  leg: string;
  outcome: string;
  downtimeSeconds: number | null;
  clientGapSeconds: number | null;
  failedRequests: number;
  acknowledged: number;
  /** Acknowledged writes (or files) not found on the new host: must be 0. */
  missing: number;
  /** Connections the client opened beyond the ones it started with: 0 when every one was kept. */
  reconnects: number;
}

export async function benchServices(client: Client, lab: LabState, services: readonly ServiceWorkload[], reps: number, say: (line: string) => void): Promise<ServiceSample[]> {
  const samples: ServiceSample[] = [];
  const [alpha, beta] = lab.hosts;
  for (const service of services) for (const network of NETWORKS) {
    const container = `bench-${service}`;
    const bundle = await startService(lab, alpha.name, service, container, PORT, network);
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
        const missing = migrated ? (await writer.verify(network === 'own' ? bundle.addresses[0] : to.address)).missing.length : 0;
        const sample: ServiceSample = {
          service,
          network,
          leg: `${from.name} → ${to.name}`,
          outcome: report.outcome,
          downtimeSeconds: report.seconds.downtime,
          clientGapSeconds: seen.longestGapSeconds,
          failedRequests: seen.failed,
          acknowledged: seen.acknowledged,
          missing,
          reconnects: Math.max(0, seen.connectionsOpened - CLIENT_CONNECTIONS[service]),
        };
        say(`${service} (${network} network) ${sample.leg}: ${sample.outcome}, downtime ${sample.downtimeSeconds?.toFixed(3)}s, client gap ${sample.clientGapSeconds?.toFixed(3)}s, ${sample.failedRequests} failed, ${sample.reconnects} reconnects, ${missing} missing`);
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

/**
 * Medians per service and network, from one run: the client's gap beside the reported
 * downtime, and issue 14's targets at an address of its own (zero failed requests in every
 * leg, gap at most downtime + 0.3 s, every connection kept), marked met or not.
 */
export function renderServiceTable(samples: readonly ServiceSample[], date: string): string {
  const lines = [
    `Real services under their own client, ${date}: medians over the legs of one run (there and back).`,
    '',
    '| service | network | legs migrated | downtime (s) | longest client gap (s) | gap − downtime (s) | failed requests per leg | reconnects per leg | acknowledged writes missing | targets (own network) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const service of [...new Set(samples.map((s) => s.service))]) for (const network of NETWORKS) {
    const rows = samples.filter((s) => s.service === service && s.network === network);
    if (rows.length === 0) continue;
    const ok = rows.filter((s) => s.outcome === 'migrated');
    const downtime = median(ok.flatMap((s) => (s.downtimeSeconds === null ? [] : [s.downtimeSeconds])));
    const gap = median(ok.flatMap((s) => (s.clientGapSeconds === null ? [] : [s.clientGapSeconds])));
    const over = downtime !== null && gap !== null ? gap - downtime : null;
    const targets = network === 'own' ? ownNetworkTargets(rows) : '-';
    lines.push(
      `| ${service} | ${network} | ${ok.length} of ${rows.length} | ${show(downtime)} | ${show(gap)} | ${show(over)} | ${median(ok.map((s) => s.failedRequests)) ?? '-'} | ${median(ok.map((s) => s.reconnects)) ?? '-'} | ${rows.reduce((n, s) => n + s.missing, 0)} | ${targets} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Each target of issue 14 over every leg (not the median): met, or how it was missed. */
function ownNetworkTargets(rows: readonly ServiceSample[]): string {
  const failed = rows.every((s) => s.outcome === 'migrated' && s.failedRequests === 0) ? 'zero failed: met' : 'zero failed: NOT met';
  const gaps = rows.every((s) => s.downtimeSeconds !== null && s.clientGapSeconds !== null && s.clientGapSeconds <= s.downtimeSeconds + 0.3);
  const kept = rows.every((s) => s.reconnects === 0) ? 'connections kept: met' : 'connections kept: NOT met';
  return `${failed}; gap ≤ downtime + 0.3 s: ${gaps ? 'met' : 'NOT met'}; ${kept}`;
}
