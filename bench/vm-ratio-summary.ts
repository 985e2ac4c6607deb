// Pre-copy's gain in the kernel VM (issue 15, item 4): stop-and-copy's and pre-copy's downtime
// for one dirtying workload under the same emulation, and their ratio. Pure, for the tests.
import type { MigrationReport } from '../policy/report';

/** The target: pre-copy's downtime at most half of stop-and-copy's. */
export const VM_RATIO_TARGET = 0.5;

export interface VmRatioSummary {
  stopAndCopy: { outcome: string; downtime: number | null; counterContinued: boolean };
  preCopy: { outcome: string; downtime: number | null; rounds: number[]; convergence: string | null; counterContinued: boolean } | null;
  /** Pre-copy's downtime over stop-and-copy's; null unless both migrated. */
  ratio: number | null;
  met: boolean | null;
}

interface Leg {
  report: Pick<MigrationReport, 'outcome' | 'seconds' | 'rounds' | 'convergence'>;
  counter: { beforeFreeze: number; afterRestore: number | null };
}

const continued = (leg: Leg) => leg.counter.afterRestore !== null && leg.counter.afterRestore > leg.counter.beforeFreeze;
const migratedDowntime = (leg: Leg) => (leg.report.outcome === 'migrated' ? leg.report.seconds.downtime : null);

export function summarizeVmRatio(stopAndCopy: Leg, preCopy: Leg | null): VmRatioSummary {
  const s = migratedDowntime(stopAndCopy);
  const p = preCopy ? migratedDowntime(preCopy) : null;
  const ratio = s !== null && p !== null && s > 0 ? Math.round((p / s) * 1000) / 1000 : null;
  return {
    stopAndCopy: { outcome: stopAndCopy.report.outcome, downtime: s, counterContinued: continued(stopAndCopy) },
    preCopy: preCopy && {
      outcome: preCopy.report.outcome,
      downtime: p,
      rounds: preCopy.report.rounds.map((r) => r.pagesWritten),
      convergence: preCopy.report.convergence,
      counterContinued: continued(preCopy),
    },
    ratio,
    met: ratio === null ? null : ratio <= VM_RATIO_TARGET,
  };
}

export function renderVmRatio(summary: VmRatioSummary, context: { date: string; kernel: string; memoryMib: number; dirtyMibPerSec: number }): string {
  const cell = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const verdict = summary.met === null ? 'not measured' : summary.met ? 'met' : '**not met**';
  const pre = summary.preCopy;
  return [
    `# Pre-copy's gain in the kernel VM, ${context.date}`,
    '',
    `- Kernel ${context.kernel} under qemu software emulation (2 vCPUs); both hosts, the Temporal dev server and the workers inside it`,
    `- Workload: ${context.memoryMib} MiB, ${context.dirtyMibPerSec} MiB rewritten a second; stop-and-copy alpha → beta, then pre-copy back, default options`,
    '',
    '| strategy | outcome | downtime (s) | counter continued | pre-dump rounds (pages) |',
    '| --- | --- | --- | --- | --- |',
    `| stop-and-copy | ${summary.stopAndCopy.outcome} | ${cell(summary.stopAndCopy.downtime)} | ${summary.stopAndCopy.counterContinued ? 'yes' : 'no'} | – |`,
    pre ? `| pre-copy | ${pre.outcome} | ${cell(pre.downtime)} | ${pre.counterContinued ? 'yes' : 'no'} | ${pre.rounds.join(' > ') || '–'} (${pre.convergence ?? '–'}) |` : '| pre-copy | not run (stop-and-copy did not migrate) | – | – | – |',
    '',
    `Pre-copy / stop-and-copy downtime: ${summary.ratio === null ? '–' : `×${summary.ratio}`} (target ≤ ×${VM_RATIO_TARGET}: ${verdict}).`,
    '',
  ].join('\n');
}
