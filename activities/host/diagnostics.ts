// CRIU's and runc's logs of a run that did not migrate, kept for a person to read: moved out
// of the run's work directory (which the rollback removes) into the host's diagnostics
// directory, for the newest few runs of each container. Best effort throughout: the logs help
// a person find out why, but the rollback they belong to is what brings the container back.
import path from 'node:path';
import { z } from 'zod';
import { log } from '@temporalio/activity';
import type { KeptDiagnostics, KeptLogs, RunRef } from '../../policy/host-contract';
import type { HostRuntime } from '../../runtime/host-runtime';
import type { HostContext } from './context';

/** How many runs' logs a host keeps per container; older ones are deleted as a new one is kept. */
export const KEPT_RUNS_PER_CONTAINER = 5;

/**
 * What CRIU and runc write in a run's work directory: their logs (dump, pre-dump rounds,
 * restore, page servers, lazy pages, runc) and the daemons' own output (`runc.out`,
 * `lazy-pages.out`, where a post-copy dump's or lazy-pages daemon's last words are).
 */
const isLog = (file: string) => /\.(log|out)$/.test(file);

/**
 * Written once, before the first log moves: when the run's logs were first kept. It orders
 * the runs for retention (a retry keeps the first time, so the order never changes).
 */
const MARKER = 'kept.json';
const Marker = z.object({ keptAt: z.number() });

/**
 * Moves the run's logs into its diagnostics directory and returns where they are, or
 * undefined when it has none (or keeping them failed). Idempotent: a retry after a crash
 * moves what is left and lists the directory, so it answers the same as an attempt that
 * moved everything.
 */
async function keepLogs(ctx: HostContext, run: RunRef): Promise<KeptLogs | undefined> {
  let kept: KeptLogs | undefined;
  try {
    kept = await moveLogs(ctx, run);
  } catch (err) {
    // Never a reason to fail the rollback: the caller carries on (and removes the work
    // directory, logs and all, as before there were diagnostics).
    warn('could not keep the logs of a run that did not migrate', run, err);
    return undefined;
  }
  if (kept) {
    // Nor is a failed clean-up of older runs a reason to hide where this one's logs are.
    await prune(ctx, run).catch((err: unknown) => warn('could not delete the logs of older runs', run, err));
  }
  return kept;
}

function warn(message: string, run: RunRef, err: unknown): void {
  log.warn(message, { container: run.container, runKey: run.runKey, error: err instanceof Error ? err.message : String(err) });
}

/** The same, in the shape the undo steps return. */
export async function keptDiagnostics(ctx: HostContext, run: RunRef): Promise<KeptDiagnostics> {
  const diagnostics = await keepLogs(ctx, run);
  return diagnostics ? { diagnostics } : {};
}

async function moveLogs(ctx: HostContext, run: RunRef): Promise<KeptLogs | undefined> {
  const { rt, layout } = ctx;
  const work = layout.workRoot(run.runKey);
  const kept = layout.diagnostics(run.container, run.runKey);
  const logs = (await rt.listFiles(work)).filter(isLog).sort();
  if (logs.length > 0) {
    await rt.mkdirp(kept);
    if (!(await rt.exists(path.join(kept, MARKER)))) await rt.writeFile(path.join(kept, MARKER), JSON.stringify({ keptAt: Date.now() }));
    for (const file of logs) {
      // Under the same relative path: `dump/dump.log`, `round-1/dump.log`, `restore/restore.log`.
      await rt.mkdirp(path.dirname(path.join(kept, file)));
      await rt.rename(path.join(work, file), path.join(kept, file));
    }
  }
  const files = (await rt.listFiles(kept)).filter(isLog).sort();
  return files.length === 0 ? undefined : { path: kept, files };
}

/** Deletes all but the newest KEPT_RUNS_PER_CONTAINER runs of the container (this one always stays). */
async function prune({ rt, layout }: HostContext, run: RunRef): Promise<void> {
  const root = layout.diagnosticsRoot(run.container);
  const runs = new Set((await rt.listFiles(root)).map((file) => file.split('/')[0]));
  runs.delete(run.runKey);
  const dated: { runKey: string; keptAt: number }[] = [];
  for (const runKey of runs) dated.push({ runKey, keptAt: await keptAt(rt, path.join(root, runKey, MARKER)) });
  dated.sort((a, b) => b.keptAt - a.keptAt);
  for (const old of dated.slice(KEPT_RUNS_PER_CONTAINER - 1)) await rt.remove(path.join(root, old.runKey));
}

/** When a run's logs were kept; a run without a readable marker counts as the oldest. */
async function keptAt(rt: HostRuntime, marker: string): Promise<number> {
  try {
    return Marker.parse(JSON.parse((await rt.readFile(marker)).toString('utf8'))).keptAt;
  } catch {
    return 0;
  }
}
