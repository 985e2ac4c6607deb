// What an earlier attempt of a step (a killed worker) may have left running, and how a step
// deals with it before acting: wait for runc, stop copies.
import path from 'node:path';
import { log } from '@temporalio/activity';
import type { RunRef } from '../../policy/host-contract';
import { awaitStragglers, killStragglers, type StragglerSpec } from '../../runtime/stragglers';
import type { HostContext } from './context';

/** runc dumps and restores of this run that an earlier attempt left running. */
const runcOf = ({ host, layout }: HostContext, run: RunRef): StragglerSpec => ({ programs: [path.basename(host.runc)], paths: [layout.workRoot(run.runKey)] });

/** Copies of this run's images or of its container's bundle. */
const copiesOf = ({ host, layout }: HostContext, run: RunRef): StragglerSpec => ({
  programs: [path.basename(host.rsync)],
  paths: [layout.outgoingRoot(run.runKey), layout.bundle(run.container)],
});

/** Waits for the run's leftover runc commands: acting beside one could undo what we do. */
export function settleEarlierAttempts(ctx: HostContext, run: RunRef, signal: AbortSignal): Promise<void> {
  return awaitStragglers(ctx.rt, runcOf(ctx, run), signal, (p) => {
    log.warn('waiting for a command an earlier attempt left running', { pid: p.pid, argv: p.argv });
  });
}

/** Stops leftover copies, which would race this attempt's copy or outlive a rollback. */
export async function stopEarlierCopies(ctx: HostContext, run: RunRef): Promise<void> {
  for (const p of await killStragglers(ctx.rt, copiesOf(ctx, run))) log.warn('stopped a copy an earlier attempt left running', { pid: p.pid, argv: p.argv });
}
