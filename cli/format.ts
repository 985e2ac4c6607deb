import type { MigrationReport, PhaseSeconds, Progress } from '../policy/report';

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
  const carried = (t: string) => (t === 'plain' ? 'plain TCP' : t === 'ssh-tunnel' ? 'inside SSH' : "CRIU's TLS");
  lines.push(`transport: pages ${carried(report.transport.pages)}, files ${carried(report.transport.files)}`);
  if (report.rollback.length > 0) {
    lines.push('rollback:');
    for (const step of report.rollback) lines.push(`  ${step.ok ? 'ok  ' : 'FAIL'} ${step.step}${step.detail ? `: ${step.detail}` : ''}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push(`workflow: ${report.workflowId}`);
  return lines.join('\n');
}

export function formatProgress(progress: Progress): string {
  const abort = progress.aborting ? ' (aborting)' : '';
  return `${progress.container} ${progress.source} -> ${progress.target}: ${progress.phase}${abort}, ${progress.elapsedSeconds.toFixed(1)}s, ${formatBytes(progress.bytesMoved)} moved`;
}
