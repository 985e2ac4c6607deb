// Where the hosts kept the logs of a run that did not migrate, for the report. The undo steps
// that end a run's work directory (resumeSource, cleanupTarget) keep its logs on the way and
// say where; after a rollback, a host whose step did not get that far is asked on its own.
import { patched } from '@temporalio/workflow';
import type { KeptDiagnostics } from '../policy/host-contract';
import type { RollbackStep } from '../policy/report';
import { onHost, type MigrationContext } from './context';
import { describeFailure } from './failures';
import type { HostStubs } from './hosts';

/**
 * Notes where `host` kept the run's logs. An answer without them (no logs, keeping them
 * failed, or a worker older than this; cleanupTarget then answered nothing at all) adds nothing.
 */
export function noteKept(ctx: MigrationContext, host: string, result: KeptDiagnostics | null | undefined): void {
  const kept = result?.diagnostics;
  if (kept && kept.files.length > 0) ctx.tracker.diagnostics.push({ host, path: kept.path, files: [...kept.files] });
}

/** The undo steps that keep a host's logs, and the host each runs on. */
const KEEPING: readonly { step: string; host: (ctx: MigrationContext) => HostStubs }[] = [
  { step: 'resumeSource', host: (ctx) => ctx.source },
  { step: 'cleanupTarget', host: (ctx) => ctx.target },
];

/** A host's answer to keepDiagnostics, or why there was none. */
interface Answer {
  result?: KeptDiagnostics;
  failure?: string;
}

/**
 * After the unwind: each host whose keeping step was `due` but did not succeed (it failed, or
 * a halted unwind never ran it) keeps its logs alone. Best effort: a failure is a warning in
 * the report, never a reason for the rollback to fail.
 */
export async function keepUnfinishedLogs(ctx: MigrationContext, due: readonly string[], steps: readonly RollbackStep[]): Promise<void> {
  const succeeded = new Set(steps.filter((s) => s.ok).map((s) => s.step));
  const hosts = KEEPING.filter((k) => due.includes(k.step) && !succeeded.has(k.step)).map((k) => k.host(ctx));
  // A new command: histories recorded before it have no marker and, replayed, do not ask.
  if (hosts.length === 0 || !patched('keep-logs-after-unfinished-undo')) return;
  // Both at once: a host whose worker is gone costs its schedule-to-start timeout, once.
  const answers = await Promise.all(
    hosts.map((host) =>
      onHost(host, 'keepDiagnostics', () => host.quick.keepDiagnostics(ctx.run)).then(
        (result): Answer => ({ result }),
        (err: unknown): Answer => ({ failure: describeFailure(err) }),
      ),
    ),
  );
  // In the hosts' order, whichever answered first: the report reads the same every time.
  answers.forEach(({ result, failure }, i) => {
    if (failure !== undefined) ctx.tracker.warnings.push(`the run's logs were not kept: ${failure}`);
    else noteKept(ctx, hosts[i].name, result);
  });
}
