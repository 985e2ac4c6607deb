// How Godwit's results read to a person: the CLI prints these, and users' own code may too.
// One place for every text rendering, so the CLI and the library never tell it differently.
import type { MigrationReport, PhaseSeconds, Progress } from '../policy/report';
import { formatPercent, type RebalancePlan } from '../policy/rebalance';
import type { RebalanceReport } from '../policy/rebalance-request';
import type { MigrationStatus, MigrationSummary } from '../policy/client-types';
import { formatInterval, type ScheduleChanged, type ScheduleRow, type Triggered, type UpsertedSchedule } from '../policy/schedules';

const COLUMNS: [keyof PhaseSeconds, string][] = [
  ['preDump', 'pre-dump'],
  ['preCopy', 'pre-copy'],
  ['checkpoint', 'checkpoint'],
  ['transfer', 'transfer'],
  ['restore', 'restore'],
  ['downtime', 'downtime'],
  ['total', 'total'],
];

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The report as a person reads it: outcome first, then the paper's columns. */
export function formatReport(report: MigrationReport): string {
  const lines = [
    `${report.outcome.toUpperCase()}: ${report.container} ${report.source} -> ${report.target} (${report.strategy})`,
    `running on: ${report.runningOn ?? 'NOWHERE: needs attention'}`,
  ];
  if (report.reason) lines.push(`reason: ${report.reason}`);
  const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(3)}s`);
  const pf = report.preflight;
  if (pf) {
    const yesNo = (b: boolean) => (b ? 'yes' : 'no');
    lines.push(
      `preflight: CRIU ${pf.sourceCriu} -> ${pf.targetCriu}, memory ${formatBytes(pf.memoryBytes)}, rootfs ${formatBytes(pf.rootfsBytes)}, ` +
        `target free ${formatBytes(pf.targetFreeBytes)}, dirty tracking ${yesNo(pf.memDirtyTrack)}, lazy pages ${yesNo(pf.uffdNoncoop)}`,
    );
  }
  const header = COLUMNS.map(([, label]) => label.padStart(11)).join('');
  const values = COLUMNS.map(([key]) => {
    const v = report.seconds[key];
    return (v === null ? '-' : `${v.toFixed(3)}s`).padStart(11);
  }).join('');
  lines.push('', `seconds:${header}`, `        ${values}`, '');
  if (report.plan) lines.push(`strategy: ${report.strategy} (${report.plan.requested === 'auto' ? 'auto: ' : ''}${report.plan.reason})`);
  for (const r of report.rounds) {
    lines.push(`  pre-dump round ${r.round}: ${r.pagesWritten} pages written, ${r.pagesSkipped} unchanged, ${formatBytes(r.bytes)} in ${r.seconds.toFixed(3)}s`);
  }
  if (report.convergence) lines.push(`  rounds stopped: ${report.convergence}`);
  lines.push(
    `moved: ${formatBytes(report.bytes.total)} (page server ${formatBytes(report.bytes.viaPageServer)}, rsync ${formatBytes(report.bytes.viaRsync)}; memory image ${formatBytes(report.bytes.pages)})`,
  );
  if (report.postCopy) {
    lines.push(`post-copy: ran on ${report.source}'s memory for ${secs(report.postCopy.drainSeconds)} after the restore, until its last page arrived`);
  }
  const carried = (t: string) => (t === 'plain' ? 'plain TCP' : t === 'ssh-tunnel' ? 'inside SSH' : "CRIU's TLS");
  lines.push(`transport: pages ${carried(report.transport.pages)}, files ${carried(report.transport.files)}`);
  const { address, connections } = report.network;
  const kept = connections ? `; ${connections.established} established TCP connection end${connections.established === 1 ? '' : 's'} ${connections.handling}` : '';
  lines.push(`network: ${address ? `its own address ${address}, moved with it` : "the host's (the address changed with the host)"}${kept}`);
  for (const v of report.volumes) {
    lines.push(
      `volume ${v.name} at ${v.destination}: ${formatBytes(v.bytes)}, sent ${formatBytes(v.sentBytes)} (copy ${secs(v.prepareSeconds)}, ` +
        `final sync ${secs(v.finalSyncSeconds)}); source copy ${report.outcome !== 'migrated' ? 'untouched' : v.keptOnSource ? 'kept' : 'removed'}`,
    );
  }
  if (report.rollback.length > 0) {
    lines.push('rollback:');
    for (const step of report.rollback) lines.push(`  ${step.ok ? 'ok  ' : 'FAIL'} ${step.step}${step.detail ? `: ${step.detail}` : ''}`);
  }
  // Where to look for why: CRIU's own account, on each host (files relative to the directory).
  if (report.diagnostics.length > 0) {
    lines.push('logs kept (CRIU, runc):');
    for (const kept of report.diagnostics) lines.push(`  ${kept.host} ${kept.path}: ${kept.files.join(', ')}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push(`workflow: ${report.workflowId}`);
  return lines.join('\n');
}

export function formatProgress(progress: Progress): string {
  const abort = progress.aborting ? ' (aborting)' : '';
  return `${progress.container} ${progress.source} -> ${progress.target}: ${progress.phase}${abort}, ${progress.elapsedSeconds.toFixed(1)}s, ${formatBytes(progress.bytesMoved)} moved`;
}

/** Columns padded to their widest cell, two spaces apart; the last one is left ragged. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}

/** The plan as plain-text tables, for `godwit rebalance --dry-run`. */
export function formatPlan(plan: RebalancePlan): string {
  const lines = table(
    ['HOST', 'CLASS', 'CPU', 'MEMORY', 'CPU AFTER', 'MEMORY AFTER'],
    plan.hosts.map((h) => [
      h.host,
      h.class,
      formatPercent(h.cpuPercent),
      formatPercent(h.memoryPercent),
      formatPercent(h.projected.cpuPercent),
      formatPercent(h.projected.memoryPercent),
    ]),
  );
  lines.push('');
  if (plan.moves.length === 0) lines.push('no moves');
  else lines.push(...table(['#', 'CONTAINER', 'FROM', 'TO', 'WHY'], plan.moves.map((m, i) => [`${i + 1}`, m.container, m.source, m.target, m.reason])));
  if (plan.skipped.length > 0) {
    lines.push('', ...table(['SKIPPED', 'ON', 'WHY'], plan.skipped.map((s) => [s.container, s.host, s.reason])));
  }
  lines.push('', plan.summary);
  return lines.join('\n');
}

/** The plan's tables, then what became of each move. */
export function formatRebalanceReport(report: RebalanceReport): string {
  const lines = [formatPlan(report.plan)];
  if (report.dryRun) lines.push('', 'dry run: nothing moved');
  else if (report.moves.length > 0) {
    lines.push('', ...report.moves.map((m) => `${m.container}: ${m.source} → ${m.target} ${m.outcome}${m.reason ? ` (${m.reason})` : ''}`));
  }
  return lines.join('\n');
}

export function formatUpserted(s: UpsertedSchedule): string {
  const what = `${s.created ? 'created' : 'updated'} schedule ${s.scheduleId}: rebalance every ${formatInterval(s.everyMs)}${s.dryRun ? ', dry run (plans only, moves nothing)' : ''}`;
  return s.paused ? `${what}; still paused (godwit schedule unpause ${s.scheduleId} to resume)` : what;
}

const time = (iso: string | null): string => (iso === null ? '-' : iso.replace(/\.\d{3}Z$/, 'Z'));

export function formatScheduleList(rows: readonly ScheduleRow[]): string {
  if (rows.length === 0) return 'no schedules; create one with "godwit schedule rebalance --every 15m"';
  return table(
    ['ID', 'EVERY', 'STATE', 'NEXT RUN', 'LAST RUN'],
    rows.map((r) => [r.scheduleId, r.every, r.paused ? 'paused' : 'active', time(r.nextRun), r.lastRun ?? '-']),
  ).join('\n');
}

export function formatTriggered(t: Triggered): string {
  const line = `triggered schedule ${t.scheduleId}`;
  if (t.runningAlready.length === 0) return line;
  return `${line}, but ${t.runningAlready.join(', ')} is still running: with overlap policy ${t.overlap} the server may skip this run`;
}

export function formatScheduleChanged(c: ScheduleChanged): string {
  return `${c.action} schedule ${c.scheduleId}`;
}

/** `godwit status`: progress while it runs, the report once it ended. */
export function formatStatus(status: MigrationStatus): string {
  switch (status.state) {
    case 'running':
      return formatProgress(status.progress);
    case 'finished':
      return formatReport(status.report);
    case 'refused':
      return `REFUSED: ${status.reason}\nworkflow: ${status.workflowId}`;
    case 'ended':
      return `ENDED (${status.status.toLowerCase()}): ${status.reason ?? 'no reason given'}\nworkflow: ${status.workflowId}`;
  }
}

/** `godwit list`: one migration a line. */
export function formatMigrationList(rows: readonly MigrationSummary[]): string {
  if (rows.length === 0) return 'no migrations found';
  return table(
    ['WORKFLOW', 'STATUS', 'FROM', 'TO', 'PHASE', 'OUTCOME', 'STARTED'],
    rows.map((m) => [m.workflowId, m.status, m.source ?? '-', m.target ?? '-', m.phase ?? '-', m.outcome ?? '-', time(m.startTime)]),
  ).join('\n');
}
