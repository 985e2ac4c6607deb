// From the freeze to a verified copy on the target without a round trip through the Temporal
// server in between: the source's final dump, its push, and the target's restore and verify
// are scheduled together, and each waits on its host for the one before it (`whenReady`,
// policy/host-contract/refs.ts). Each is still its own activity in the history. A failure
// of any cancels the others, and waits until every host has confirmed, before the caller
// rolls back. With the server far from the hosts, each hand-off cost two round trips.
import { CancellationScope } from '@temporalio/workflow';
import type { ConcreteStrategy } from '../policy/strategy';
import { onHost, type MigrationContext } from './context';
import { finalSyncWindow, holdFront, preCopyRounds, recordDump, recordTransfer } from './state-transfer';

/** The strategies whose state is complete on the target before its restore. */
export type WholeStateStrategy = Exclude<ConcreteStrategy, 'post-copy'>;

/**
 * Runs the steps together in one scope. When one fails, cancels the scope, waits for every
 * step to settle (the hosts confirm each cancellation) and throws that first failure.
 */
async function together(start: () => Promise<unknown>[]): Promise<void> {
  const scope = new CancellationScope();
  let failure: { error: unknown } | null = null;
  await scope.run(() =>
    Promise.allSettled(
      start().map((step) =>
        step.catch((error: unknown) => {
          if (failure === null) {
            failure = { error };
            scope.cancel();
          }
        }),
      ),
    ),
  );
  if (failure !== null) throw (failure as { error: unknown }).error;
}

export async function freezeToVerified(ctx: MigrationContext, strategy: WholeStateStrategy): Promise<void> {
  const { source, target, run, tracker, hosts, request } = ctx;
  const parentRound = strategy === 'pre-copy' ? await preCopyRounds(ctx) : undefined;
  const streamed = strategy !== 'stop-and-copy';
  ctx.enter('checkpoint');
  const dumpRef = { ...run, parentRound };
  const pageServer = streamed ? await onHost(target, 'checkpoint', () => target.quick.startPageServer(dumpRef)) : undefined;
  // Before anything can restore: a restore that fails half-way may still leave a process.
  ctx.compensations.push('stopTargetContainer', () => target.undo.stopTargetContainer(run), { essential: true, haltOnFailure: true });
  await holdFront(ctx);
  const changedWithinSeconds = finalSyncWindow(ctx);
  const { ghostLimitBytes } = request.options;
  await together(() => {
    const dumped = onHost(source, 'checkpoint', () => source.once.checkpoint({ ...dumpRef, pageServer, target: hosts.target, ghostLimitBytes })).then((dump) => {
      recordDump(ctx, dump, streamed);
      ctx.enter('transfer');
    });
    const pushing = onHost(source, 'transfer', () => source.long.pushImages({ ...run, target: hosts.target, changedWithinSeconds, whenReady: true }));
    const pushed = Promise.all([dumped, pushing]).then(([, images]) => {
      recordTransfer(ctx, images);
      ctx.enter('restore');
    });
    const restoring = onHost(target, 'restore', () => target.long.restore({ ...run, whenReady: true }));
    const restored = Promise.all([pushed, restoring]).then(([, result]) => {
      tracker.runningAt = result.runningAt;
      tracker.pageBytes = result.pageBytes;
      ctx.enter('verify');
    });
    const verifying = onHost(target, 'verify', () => target.long.verify({ ...run, healthCheck: request.options.healthCheck, whenReady: true }));
    // The raw steps too: each must settle (a cancelled one confirmed by its host) before a rollback.
    return [dumped, pushing, pushed, restoring, restored, verifying, Promise.all([restored, verifying])];
  });
}
