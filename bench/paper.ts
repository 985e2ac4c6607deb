// `npm run bench -- paper`: the seed paper's own experiment. WordPress with MariaDB in one
// container (infra/services/wordpress.ts), loaded by Siege with 5 and 50 concurrent clients,
// migrated alpha → beta (and back, alternately) in the middle of each Siege run, with each
// strategy this kernel runs and each way clients reach it: the host's network (Siege keeps
// the source host's address, as a client with no proxy would), an address of its own, and the
// lab's HAProxy front with the hosts on two routed subnets (the paper's move between clouds:
// the address cannot follow). Per run: Table II's columns from Godwit's report, and Siege's
// transactions, failed ones and longest response. One more run with the request recorder in
// place of Siege (same visitors, front, page-server, 5 clients) gives the paper's Fig. 4:
// response time by request number across the migration. Writes bench/results/<date>-paper.md
// (and .json, and -paper.svg).
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { connectToLab } from '../infra/lab/client';
import { defaultLabOptions, labFront, labRemove, labUp } from '../infra/lab/lab';
import type { LabHostState } from '../infra/lab/state';
import { startService } from '../infra/services/on-lab';
import { wordpressRequests } from '../infra/services/wordpress';
import { runSiege, type SiegeSummary } from '../infra/services/clients/siege';
import { recordRequests, type RequestRecord } from '../infra/services/clients/request-recorder';
import { resultOf, startMigration } from '../client/migrations';
import type { MigrationReport } from '../policy/report';
import { describeZodError } from '../policy/request';
import { projectRoot } from '../infra/project-root';
import { escapeXml } from './chart';

const NETWORKS = ['host', 'own', 'front'] as const;
type Network = (typeof NETWORKS)[number];
const STRATEGIES = ['stop-and-copy', 'page-server', 'post-copy'] as const;

const commaList = z.string().transform((s) => s.split(','));
const Options = z.object({
  clients: commaList.pipe(z.array(z.string().regex(/^\d{1,3}$/, 'a number of clients').transform(Number).pipe(z.number().int().min(1).max(255))).min(1)),
  seconds: z.coerce.number().int().min(10).max(600),
  strategies: commaList.pipe(z.array(z.enum(STRATEGIES)).min(1)),
  networks: commaList.pipe(z.array(z.enum(NETWORKS)).min(1)),
});

const PORT = 7440;
const say = (line: string) => console.error(`bench paper: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PaperRow {
  network: Network;
  strategy: string;
  clients: number;
  outcome: string;
  reason: string | null;
  seconds: MigrationReport['seconds'] | null;
  siege: SiegeSummary;
  /** Why Siege's failed transactions failed, as it said (siegeErrors). */
  siegeErrors: Record<string, number>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { clients: { type: 'string' }, seconds: { type: 'string' }, strategies: { type: 'string' }, networks: { type: 'string' } } });
  const parsed = Options.safeParse({ clients: values.clients ?? '5,50', seconds: values.seconds ?? '30', strategies: values.strategies ?? 'stop-and-copy,page-server', networks: values.networks ?? 'host,own,front' });
  if (!parsed.success) throw new Error(`bench paper: ${describeZodError(parsed.error)}`);
  const o = parsed.data;
  await labUp({ ...defaultLabOptions(), front: o.networks.includes('front') });
  const { client, close } = await connectToLab();
  const rows: PaperRow[] = [];
  let timeline: { records: RequestRecord[]; frozenAt: number | null; runningAt: number | null } | null = null;
  try {
    for (const [i, network] of o.networks.entries()) {
      // Through the front the hosts sit on two routed subnets, the paper's move between clouds.
      const lab = await labUp({ ...defaultLabOptions(), front: o.networks.includes('front'), subnets: network === 'front' ? 'per-host' : 'shared' });
      const [alpha, beta] = lab.hosts;
      const container = `paper-wp-${network}`;
      const port = PORT + i;
      for (const h of lab.hosts) await labRemove(h.name, container);
      const service = await startService(lab, alpha.name, 'wordpress', container, port, network === 'own' ? 'own' : 'host');
      const site = service.wordpress;
      if (!site) throw new Error('the WordPress bundle names no site');
      const front = network === 'front' ? (await labFront(container, port, 'http')).split(':')[0] : null;
      let where: LabHostState = alpha;
      const addressOf = () => front ?? (network === 'own' ? service.addresses[0] : where.address);
      const move = async (strategy: string, midwayMs: number): Promise<MigrationReport | Error> => {
        await sleep(midwayMs);
        const to = where === alpha ? beta : alpha;
        const report = await resultOf(await startMigration(client, { container, source: where.name, target: to.name, strategy: strategy as (typeof STRATEGIES)[number] })).catch((err: Error) => err);
        if (!(report instanceof Error) && report.outcome === 'migrated') where = to;
        return report;
      };
      try {
        for (const strategy of o.strategies) {
          for (const clients of o.clients) {
            const plan = { address: addressOf(), port, requests: wordpressRequests(site, `paper-${clients}`), concurrency: clients, seconds: o.seconds, timeoutSeconds: 30 };
            const [siege, report] = await Promise.all([runSiege(plan), move(strategy, (o.seconds * 1000) / 3)]);
            const row: PaperRow = {
              network,
              strategy,
              clients,
              outcome: report instanceof Error ? 'failed' : report.outcome,
              reason: why(report),
              seconds: report instanceof Error ? null : report.seconds,
              siege: siege.summary,
              siegeErrors: siege.errors,
            };
            rows.push(row);
            say(`${network} ${strategy} c=${clients}: ${row.outcome}, downtime ${row.seconds?.downtime ?? '-'}s; siege ${siege.summary.transactions} transactions, ${siege.summary.failedTransactions} failed${failedWhy(siege.errors)}, longest ${siege.summary.longestTransactionSeconds}s`);
            await sleep(2000);
          }
        }
        if (network === 'front' && o.strategies.includes('page-server')) {
          // Fig. 4: every request's response time, from a recorder with Siege's visitors.
          const plan = { address: addressOf(), port, requests: wordpressRequests(site, 'paper-fig4'), concurrency: 5, seconds: o.seconds, timeoutSeconds: 30 };
          const [run, report] = await Promise.all([recordRequests(plan), move('page-server', (o.seconds * 1000) / 3)]);
          const migrated = !(report instanceof Error) && report.outcome === 'migrated';
          const freeze = migrated ? report.phases.find((p) => p.phase === 'checkpoint')?.startedAt ?? null : null;
          const back = migrated && report.seconds.downtime !== null && freeze !== null ? freeze + report.seconds.downtime * 1000 : null;
          timeline = { records: run.records, frozenAt: freeze, runningAt: back };
        }
      } finally {
        for (const h of lab.hosts) await labRemove(h.name, container);
      }
    }
  } finally {
    await close();
  }
  const date = new Date().toISOString();
  const dir = path.join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `${date.slice(0, 10)}-paper`);
  writeFileSync(`${stem}.json`, `${JSON.stringify({ date, options: o, rows }, null, 2)}\n`);
  writeFileSync(`${stem}.md`, renderPaperTable(rows, date));
  if (timeline) writeFileSync(`${stem}.svg`, renderTimeline(timeline));
  say(`wrote ${stem}.md, .json${timeline ? ', .svg' : ''}`);
  console.log(renderPaperTable(rows, date));
}

/** Why a run did not migrate, in a line: CRIU's own error when there is one, else the first line. */
function why(report: MigrationReport | Error): string | null {
  const text = report instanceof Error ? report.message : report.reason;
  if (!text) return null;
  const lines = text.split('\n');
  return lines.find((l) => l.includes('Error (')) ?? lines[0];
}

const failedWhy = (errors: Record<string, number>) => {
  const kinds = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  return kinds.length === 0 ? '' : ` (${kinds.map(([kind, n]) => `${n}× ${kind}`).join('; ')})`;
};

const s3 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(3));

/** Table II's columns, then what Siege saw. */
export function renderPaperTable(rows: readonly PaperRow[], date: string): string {
  const lines = [
    `The seed paper's experiment on this machine, ${date}: WordPress + MariaDB in one container, Siege for each run, the migration a third of the way in (one run each).`,
    '',
    '| network | strategy | clients | outcome | pre-dump (s) | pre-copy (s) | checkpoint (s) | transfer (s) | restore (s) | downtime (s) | total (s) | transactions | failed | availability | response time (s) | longest (s) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const t = r.seconds;
    const outcome = r.outcome === 'migrated' ? 'migrated' : `${r.outcome}${r.reason ? `: ${r.reason.slice(0, 120)}` : ''}`;
    lines.push(
      `| ${r.network} | ${r.strategy} | ${r.clients} | ${outcome} | ${s3(t?.preDump)} | ${s3(t?.preCopy)} | ${s3(t?.checkpoint)} | ${s3(t?.transfer)} | ${s3(t?.restore)} | ${s3(t?.downtime)} | ${s3(t?.total)} | ${r.siege.transactions} | ${r.siege.failedTransactions} | ${r.siege.availabilityPercent.toFixed(2)} % | ${r.siege.responseTimeSeconds.toFixed(2)} | ${r.siege.longestTransactionSeconds.toFixed(2)} |`,
    );
  }
  const failing = rows.filter((r) => r.siege.failedTransactions > 0);
  if (failing.length > 0) lines.push('', "Siege's failed transactions, as Siege gave their causes:");
  for (const r of failing) lines.push(`- ${r.network} ${r.strategy} ${r.clients} clients: ${r.siege.failedTransactions} failed${failedWhy(r.siegeErrors) || ' (no cause printed)'}`);
  return `${lines.join('\n')}\n`;
}

/** Fig. 4: response time (ms) by request number, the freeze and the restore marked. */
export function renderTimeline(t: { records: readonly RequestRecord[]; frozenAt: number | null; runningAt: number | null }): string {
  const W = 800;
  const H = 360;
  const pad = 50;
  const records = t.records.filter((r) => !r.endedByRun);
  const maxMs = Math.max(100, ...records.map((r) => r.endMs - r.startMs));
  const x = (n: number) => pad + ((n - 1) / Math.max(1, records.length - 1)) * (W - 2 * pad);
  const y = (ms: number) => H - pad - (ms / maxMs) * (H - 2 * pad);
  const dots = records.map((r) => `<circle cx="${x(r.n).toFixed(1)}" cy="${y(r.endMs - r.startMs).toFixed(1)}" r="1.6" fill="${r.status === 200 || r.status === 302 ? '#1f77b4' : '#d62728'}"/>`);
  // The first request that started after each instant marks it on the request-number axis.
  const mark = (at: number | null, label: string) => {
    if (at === null) return '';
    const first = records.find((r) => r.startMs >= at);
    if (!first) return '';
    return `<line x1="${x(first.n)}" y1="${pad}" x2="${x(first.n)}" y2="${H - pad}" stroke="#999" stroke-dasharray="4 3"/><text x="${x(first.n) + 4}" y="${pad + 12}" font-size="11">${escapeXml(label)}</text>`;
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">WordPress through the front, page-server, 5 clients: response time by request number</text>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#000"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#000"/>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle" font-size="12">request number (1 to ${records.length})</text>`,
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">response time (ms, max ${Math.round(maxMs)})</text>`,
    mark(t.frozenAt, 'freeze'),
    mark(t.runningAt, 'running on the target'),
    ...dots,
    '</svg>',
    '',
  ].join('\n');
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
