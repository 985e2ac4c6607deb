// The report's sections for bench/dimensions.ts: post-copy, server latency, gateways, each
// with its target and whether this run met it.
import type { BenchResults } from './model';
import { gatewaySummaries, postCopySummaries, serverLatencySummaries } from './dimensions';

const secs = (x: number | null) => (x === null ? '–' : `${x.toFixed(3)} s`);
const times = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
const verdict = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : '**not met**');

/** Targets (issue 15), judged in the benchmark only. */
export const POST_COPY_DOWNTIME_TARGET_SECONDS = 0.5;
export const SERVER_LATENCY_RATIO_TARGET = 1.1;
export const GATEWAY_RATIO_TARGET = 1.5;

export function dimensionSections(results: BenchResults): string[] {
  const out: string[] = [];
  const postCopy = postCopySummaries(results);
  if (postCopy.length > 0) {
    out.push(
      '',
      '## Post-copy against page-server',
      '',
      `Target: post-copy downtime at 1 GiB on loopback at most ${POST_COPY_DOWNTIME_TARGET_SECONDS} s. Drain: from the restore's end on the target to the last page; rate: the workload's ticks a second during the drain over before the freeze.`,
      '',
      '| case | n | post-copy downtime | page-server downtime | drain | rate during drain | target |',
      '|---|---|---|---|---|---|---|',
      ...postCopy.map((p) => {
        const judged = p.case.startsWith('post-copy/1024MiB/') && p.case.includes('/loopback');
        const ok = judged && p.downtime !== null ? p.downtime <= POST_COPY_DOWNTIME_TARGET_SECONDS : null;
        return `| ${p.case} | ${p.n} | ${secs(p.downtime)} | ${secs(p.pageServerDowntime)} | ${secs(p.drainSeconds)} | ${times(p.rateDuringDrain)} | ${judged ? verdict(ok) : '–'} |`;
      }),
    );
  }
  const latency = serverLatencySummaries(results);
  if (latency.length > 0) {
    const delays = [...new Set(latency.flatMap((l) => l.points.map((p) => p.delayMs)))].sort((a, b) => a - b);
    out.push(
      '',
      '## Downtime against the workers\' latency to the Temporal server',
      '',
      `Every worker reached the server through toxiproxy with the delay given each way. Target: downtime at the largest delay within ${Math.round((SERVER_LATENCY_RATIO_TARGET - 1) * 100)} % of downtime at 0 ms.`,
      '',
      `| strategy | ${delays.map((d) => `+${d} ms`).join(' | ')} | largest / 0 | s per ms of round trip | target |`,
      `|---|${delays.map(() => '---|').join('')}---|---|---|`,
      ...latency.map((l) => {
        const cells = delays.map((d) => secs(l.points.find((p) => p.delayMs === d)?.downtime ?? null));
        return `| ${l.strategy} | ${cells.join(' | ')} | ${times(l.ratio)} | ${l.secondsPerMsRoundTrip ?? '–'} | ${verdict(l.ratio === null ? null : l.ratio <= SERVER_LATENCY_RATIO_TARGET)} |`;
      }),
    );
  }
  const gateways = gatewaySummaries(results);
  if (gateways.length > 0) {
    out.push(
      '',
      '## SSH gateways against local workers',
      '',
      `Both hosts driven over SSH by gateway workers, against the same case over the hosts' own workers in the same run. Target: at most ${GATEWAY_RATIO_TARGET}× at 64 and 256 MiB.`,
      '',
      '| case | n (SSH, local) | SSH downtime | local downtime | SSH / local | target |',
      '|---|---|---|---|---|---|',
      ...gateways.map((g) => `| ${g.case} | ${g.n.ssh}, ${g.n.worker} | ${secs(g.downtime.ssh)} | ${secs(g.downtime.worker)} | ${times(g.ratio)} | ${verdict(g.ratio === null ? null : g.ratio <= GATEWAY_RATIO_TARGET)} |`),
    );
  }
  return out;
}
