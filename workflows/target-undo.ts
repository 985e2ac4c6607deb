// The target's undo of a restore, pushed before any restore can start: a restore that fails
// half-way may still leave a process. After a post-copy restore, though, the target's copy
// may hold the only current state: it is not stopped, the unwind halts before resuming the
// source, and the run fails red for an operator.
import type { MigrationContext } from './context';

export function stopTargetOnUndo(ctx: MigrationContext): void {
  const { request, run, target, tracker } = ctx;
  ctx.compensations.push(
    'stopTargetContainer',
    () => (tracker.postCopyRunning ? Promise.reject(new Error(postCopyNoWayBack(request.source, request.target))) : target.undo.stopTargetContainer(run)),
    { essential: true, haltOnFailure: true },
  );
}

export const postCopyNoWayBack = (source: string, target: string) =>
  `post-copy: the container already ran on ${target} with pages still on ${source}; resuming ${source} would turn its state back, so Godwit leaves both for an operator`;
