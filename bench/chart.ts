// Downtime as a self-contained SVG grouped bar chart: memory sizes along x, one bar per strategy,
// for one link, workload and transport.
import type { Transport } from '../policy/transport';
import { BenchCase, type BenchResults, type Workload } from './model';
import { summarize, type CaseSummary } from './stats';

type Strategy = BenchCase['strategy'];

export interface ChartOptions {
  link?: string;
  workload?: Workload;
  transport?: Transport;
}

interface Selection {
  link: string;
  workload: Workload;
  transport: Transport;
}

interface Bar {
  strategy: Strategy;
  memoryMib: number;
  mean: number;
  sd: number;
}

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 56, right: 170, bottom: 60, left: 72 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const FONT = 'font-family="sans-serif"';

// Fixed per strategy, so a strategy keeps its colour whichever others a machine could run.
const COLOURS: Record<Strategy, string> = {
  'page-server': '#1f77b4',
  'stop-and-copy': '#ff7f0e',
  'pre-copy': '#2ca02c',
  'post-copy': '#d62728',
};

const STRATEGY_ORDER = BenchCase.shape.strategy.options;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Coordinates with two decimals, so the same input always gives the same bytes. */
function n2(x: number): string {
  return x.toFixed(2);
}

function pick<T>(wanted: T | undefined, available: readonly T[], fallback: T): T | undefined {
  if (wanted !== undefined && available.includes(wanted)) return wanted;
  if (available.includes(fallback)) return fallback;
  return available[0];
}

/**
 * What is drawn: the link, transport and workload asked for, else the first link, plain and
 * idle, else whatever was measured.
 */
export function chartSelection(summaries: readonly CaseSummary[], options: ChartOptions = {}): Selection | null {
  const godwit = summaries.filter((s) => s.runner === 'godwit' && s.downtime !== null);
  const links = [...new Set(godwit.map((s) => s.link.name))];
  const link = pick(options.link, links, links[0]);
  if (link === undefined) return null;
  const onLink = godwit.filter((s) => s.link.name === link);
  const transport = pick(options.transport, [...new Set(onLink.map((s) => s.transport))], 'plain');
  if (transport === undefined) return null;
  const workloads = [...new Set(onLink.filter((s) => s.transport === transport).map((s) => s.workload))];
  const workload = pick(options.workload, workloads, 'idle');
  return workload === undefined ? null : { link, workload, transport };
}

function drawn(s: CaseSummary, { link, workload, transport }: Selection): boolean {
  return s.runner === 'godwit' && s.link.name === link && s.workload === workload && s.transport === transport && s.downtime !== null;
}

function barsOf(summaries: readonly CaseSummary[], selection: Selection): Bar[] {
  return summaries.flatMap((s) =>
    drawn(s, selection) && s.downtime !== null
      ? [{ strategy: s.strategy, memoryMib: s.memoryMib, mean: s.downtime.mean, sd: s.downtime.sd }]
      : [],
  );
}

/** A round step (1, 2, 2.5 or 5 × 10^k) that splits [0, max] into 3 to 5 intervals, so 4 to 6 labels. */
export function yTicks(max: number): { step: number; ticks: number[]; decimals: number } {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const exponent = Math.floor(Math.log10(top)) - 1;
  for (let k = exponent; ; k++) {
    for (const mantissa of [1, 2, 2.5, 5]) {
      const step = mantissa * 10 ** k;
      const intervals = Math.ceil(top / step - 1e-9);
      if (intervals <= 5) {
        const decimals = Math.max(0, -k + (mantissa === 2.5 ? 1 : 0));
        const ticks = Array.from({ length: intervals + 1 }, (_, i) => Number((i * step).toFixed(decimals)));
        return { step, ticks, decimals };
      }
    }
  }
}

function emptyChart(title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" ${FONT} font-size="14">${escapeXml(title)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function axes(ticks: readonly number[], decimals: number, yOf: (v: number) => number): string[] {
  const x0 = MARGIN.left;
  const x1 = MARGIN.left + PLOT_WIDTH;
  const lines = ticks.flatMap((t) => [
    `<line x1="${n2(x0)}" y1="${n2(yOf(t))}" x2="${n2(x1)}" y2="${n2(yOf(t))}" stroke="#dddddd" stroke-width="1"/>`,
    `<text x="${n2(x0 - 8)}" y="${n2(yOf(t) + 4)}" text-anchor="end" ${FONT} font-size="12">${t.toFixed(decimals)}</text>`,
  ]);
  const yMid = MARGIN.top + PLOT_HEIGHT / 2;
  return [
    ...lines,
    `<line x1="${n2(x0)}" y1="${n2(MARGIN.top)}" x2="${n2(x0)}" y2="${n2(MARGIN.top + PLOT_HEIGHT)}" stroke="#333333" stroke-width="1"/>`,
    `<line x1="${n2(x0)}" y1="${n2(MARGIN.top + PLOT_HEIGHT)}" x2="${n2(x1)}" y2="${n2(MARGIN.top + PLOT_HEIGHT)}" stroke="#333333" stroke-width="1"/>`,
    `<text x="18" y="${n2(yMid)}" text-anchor="middle" transform="rotate(-90 18 ${n2(yMid)})" ${FONT} font-size="12">Downtime (s)</text>`,
    `<text x="${n2(x0 + PLOT_WIDTH / 2)}" y="${n2(HEIGHT - 14)}" text-anchor="middle" ${FONT} font-size="12">Memory</text>`,
  ];
}

function legend(strategies: readonly Strategy[]): string[] {
  const x = MARGIN.left + PLOT_WIDTH + 24;
  return strategies.flatMap((s, i) => {
    const y = MARGIN.top + 12 + i * 22;
    // Circles, not rects, so every rect in the chart is a bar.
    return [
      `<circle cx="${n2(x)}" cy="${n2(y - 4)}" r="6" fill="${COLOURS[s]}"/>`,
      `<text x="${n2(x + 14)}" y="${n2(y)}" ${FONT} font-size="12">${escapeXml(s)}</text>`,
    ];
  });
}

function errorBar(cx: number, low: number, high: number): string[] {
  const cap = 4;
  return [
    `<line class="sd" x1="${n2(cx)}" y1="${n2(low)}" x2="${n2(cx)}" y2="${n2(high)}" stroke="#222222" stroke-width="1"/>`,
    `<line x1="${n2(cx - cap)}" y1="${n2(high)}" x2="${n2(cx + cap)}" y2="${n2(high)}" stroke="#222222" stroke-width="1"/>`,
    `<line x1="${n2(cx - cap)}" y1="${n2(low)}" x2="${n2(cx + cap)}" y2="${n2(low)}" stroke="#222222" stroke-width="1"/>`,
  ];
}

export function renderChart(results: BenchResults, options?: ChartOptions): string {
  const summaries = summarize(results);
  const selection = chartSelection(summaries, options);
  if (selection === null) return emptyChart('Downtime by strategy and memory size: no migrated Godwit samples');
  const { link, workload, transport } = selection;
  const overSsh = summaries.some((s) => drawn(s, selection) && s.hostAccess === 'ssh');
  const title = `Downtime by strategy and memory size (${link}, ${workload}, ${transport}${overSsh ? ', hosts over SSH' : ''})`;
  const bars = barsOf(summaries, selection);
  const memories = [...new Set(bars.map((b) => b.memoryMib))].sort((a, b) => a - b);
  const strategies = STRATEGY_ORDER.filter((s) => bars.some((b) => b.strategy === s));

  const { ticks, decimals } = yTicks(Math.max(...bars.map((b) => b.mean + b.sd)));
  const yMax = ticks[ticks.length - 1];
  const yOf = (v: number): number => MARGIN.top + PLOT_HEIGHT - (Math.max(0, v) / yMax) * PLOT_HEIGHT;
  const groupWidth = PLOT_WIDTH / memories.length;
  const barWidth = (groupWidth * 0.8) / strategies.length;

  const groups = memories.flatMap((memoryMib, g) => {
    const groupX = MARGIN.left + g * groupWidth;
    const label = `<text x="${n2(groupX + groupWidth / 2)}" y="${n2(MARGIN.top + PLOT_HEIGHT + 18)}" text-anchor="middle" ${FONT} font-size="12">${memoryMib} MiB</text>`;
    const drawn = strategies.flatMap((strategy, i) => {
      const bar = bars.find((b) => b.memoryMib === memoryMib && b.strategy === strategy);
      if (bar === undefined) return [];
      const x = groupX + groupWidth * 0.1 + i * barWidth;
      const y = yOf(bar.mean);
      const rect = `<rect class="bar" x="${n2(x)}" y="${n2(y)}" width="${n2(barWidth * 0.9)}" height="${n2(yOf(0) - y)}" fill="${COLOURS[strategy]}"><title>${escapeXml(`${strategy}, ${memoryMib} MiB: ${bar.mean.toFixed(3)} ± ${bar.sd.toFixed(3)} s`)}</title></rect>`;
      const sd = bar.sd > 0 ? errorBar(x + (barWidth * 0.9) / 2, yOf(bar.mean - bar.sd), yOf(bar.mean + bar.sd)) : [];
      return [rect, ...sd];
    });
    return [label, ...drawn];
  });

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<text x="${n2(WIDTH / 2)}" y="28" text-anchor="middle" ${FONT} font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...axes(ticks, decimals, yOf),
    ...groups,
    ...legend(strategies),
    '</svg>',
    '',
  ].join('\n');
}
