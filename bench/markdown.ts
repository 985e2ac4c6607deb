// The benchmark as a GitHub Markdown report: one Table II per link, then Godwit against bare,
// then each encrypted transport against plain.
import { dimensionSections } from './dimensions-markdown';
import type { BenchResults, HostAccess, Link } from './model';
import {
  OVERHEAD_ALLOWANCE_SECONDS,
  OVERHEAD_FACTOR,
  TABLE_II_COLUMNS,
  caseMeetsOverheadTarget,
  encryptionCosts,
  ratios,
  summarize,
  type CaseSummary,
  type EncryptionCost,
  type MeanSd,
  type Ratio,
  type TableIIColumn,
} from './stats';

const NONE = '–';

const COLUMN_LABELS: Record<TableIIColumn, string> = {
  preDump: 'pre-dump',
  preCopy: 'pre-copy',
  checkpoint: 'checkpoint',
  transfer: 'transfer',
  restore: 'restore',
  downtime: 'downtime',
  total: 'total',
};

const HOST_ACCESS_LABELS: Record<HostAccess, string> = { worker: 'local', ssh: 'SSH' };

/** Text from the results may hold anything; keep it from opening HTML or splitting a table cell. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

export function fixed3(x: number): string {
  const s = x.toFixed(3);
  // A tiny negative rounds to "-0.000", which reads as a sign that is not there.
  return s === '-0.000' ? '0.000' : s;
}

export function formatMeanSd(stat: MeanSd | null): string {
  return stat === null ? NONE : `${fixed3(stat.mean)} ± ${fixed3(stat.sd)}`;
}

function formatNumber(x: number | null): string {
  return x === null ? NONE : fixed3(x);
}

function formatFactor(x: number | null): string {
  return x === null ? NONE : `×${fixed3(x)}`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

function describeLink(link: Link): string {
  const shaping = [
    link.rateMbit === undefined ? null : `${link.rateMbit} Mbit/s`,
    link.delayMs === undefined ? null : `${link.delayMs} ms delay`,
  ].filter((s): s is string => s !== null);
  return shaping.length === 0 ? 'unshaped' : shaping.join(', ');
}

function heading(results: BenchResults): string[] {
  const m = results.machine;
  return [
    `# Godwit benchmark, ${escapeMarkdown(results.date)}`,
    '',
    `- Machine: ${m.cpus} CPUs, ${m.memoryGiB} GiB memory, kernel ${escapeMarkdown(m.kernel)}`,
    `- CRIU ${escapeMarkdown(m.criu)}, runc ${escapeMarkdown(m.runc)}, Node ${escapeMarkdown(m.node)}`,
    `- Repetitions: ${results.repetitions}${results.quick ? ' (quick run)' : ''}`,
    '- Cells: mean ± sample standard deviation in seconds, over migrated samples only',
    "- Host access: local, commands run in the host's namespace (its own worker, or the bare script); SSH, a gateway worker sends them over SSH",
  ];
}

function summaryRow(s: CaseSummary): string[] {
  return [
    s.strategy,
    `${s.memoryMib} MiB`,
    s.workload,
    s.transport,
    HOST_ACCESS_LABELS[s.hostAccess],
    s.runner,
    `${s.attempts - s.failures}/${s.attempts}`,
    ...TABLE_II_COLUMNS.map((column) => formatMeanSd(s[column])),
    formatMeanSd(s.probeGapSeconds),
  ];
}

const SUMMARY_HEADER = [
  'Strategy',
  'Memory',
  'Workload',
  'Transport',
  'Host access',
  'Runner',
  'n (migrated/attempts)',
  ...TABLE_II_COLUMNS.map((column) => COLUMN_LABELS[column]),
  'probe gap',
];

function linkSections(summaries: readonly CaseSummary[]): string[] {
  const links = [...new Map(summaries.map((s) => [s.link.name, s.link])).values()];
  return links.flatMap((link) => [
    '',
    `## Link: ${escapeMarkdown(link.name)} (${describeLink(link)})`,
    '',
    ...table(
      SUMMARY_HEADER,
      summaries.filter((s) => s.link.name === link.name).map(summaryRow),
    ),
  ]);
}

function targetCell(summaries: readonly CaseSummary[], r: Ratio): string {
  // The target is set for the default strategy only; the others are reported, not judged.
  if (r.strategy !== 'page-server') return NONE;
  const met = caseMeetsOverheadTarget(summaries, r);
  if (met === null) return NONE;
  return met ? '✓' : '✗';
}

function ratioSection(summaries: readonly CaseSummary[]): string[] {
  const rows = ratios([...summaries]).map((r) => [
    r.strategy,
    `${r.memoryMib} MiB`,
    r.workload,
    escapeMarkdown(r.link.name),
    formatNumber(r.downtime),
    formatNumber(r.total),
    formatNumber(r.overheadSeconds),
    targetCell(summaries, r),
  ]);
  const intro = `Target (page-server): Godwit downtime ≤ ${OVERHEAD_FACTOR} × bare + ${OVERHEAD_ALLOWANCE_SECONDS} s.`;
  const body =
    rows.length === 0
      ? ['No case was measured by both runners.']
      : table(['Strategy', 'Memory', 'Workload', 'Link', 'downtime ratio', 'total ratio', 'downtime overhead (s)', 'target met'], rows);
  return ['', '## Godwit / bare', '', intro, '', ...body];
}

function pageStreamCell(e: EncryptionCost): string {
  const { encrypted, plain } = e.pageStreamMiBps;
  if (encrypted === null && plain === null) return NONE;
  const speed = (x: number | null) => (x === null ? NONE : x.toFixed(1));
  return `${speed(encrypted)} / ${speed(plain)}`;
}

const ENCRYPTION_INTRO = [
  "Each encrypted transport's median over plain's, from Godwit samples of the same case in this run, with the hosts reached the same way: ×1 would cost nothing.",
  "criu-tls encrypts CRIU's page stream to a page server only (Godwit refuses it for stop-and-copy, whose pages travel in image files).",
  'Pages ÷ checkpoint: MiB of pages streamed per second of the checkpoint phase, encrypted / plain (page-server only).',
];

/** Only for runs that measured an encrypted transport: a plain run's report stays as it was. */
function encryptionSection(results: BenchResults): string[] {
  if (!results.samples.some((s) => s.runner === 'godwit' && s.transport !== 'plain')) return [];
  const rows = encryptionCosts(results).map((e) => [
    e.strategy,
    `${e.memoryMib} MiB`,
    e.workload,
    escapeMarkdown(e.link.name),
    HOST_ACCESS_LABELS[e.hostAccess],
    `${e.transport} / plain`,
    `${e.n.encrypted} / ${e.n.plain}`,
    formatFactor(e.downtime),
    formatFactor(e.total),
    pageStreamCell(e),
  ]);
  const body =
    rows.length === 0
      ? ['No encrypted case was measured alongside plain in this run.']
      : table(['Strategy', 'Memory', 'Workload', 'Link', 'Host access', 'Transports', 'n (migrated)', 'downtime', 'total', 'pages ÷ checkpoint (MiB/s)'], rows);
  return ['', '## Encryption cost', '', ENCRYPTION_INTRO.join(' '), '', ...body];
}

function skippedSection(results: BenchResults): string[] {
  const items =
    results.skipped.length === 0
      ? ['None.']
      : results.skipped.map((s) => `- ${escapeMarkdown(s.strategy)}: ${escapeMarkdown(s.reason)}`);
  return ['', '## Skipped', '', ...items];
}

export function renderMarkdown(results: BenchResults): string {
  const summaries = summarize(results);
  const sections =
    summaries.length === 0 ? ['', 'No samples.'] : [...linkSections(summaries), ...ratioSection(summaries), ...encryptionSection(results), ...dimensionSections(results)];
  return [...heading(results), ...sections, ...skippedSection(results), ''].join('\n');
}
