// From the freeze to a verified copy on the target without a round trip through the Temporal
// server in between: the source's final dump, its push, and the target's restore and verify
// are scheduled together, and each waits on its host for the one before it (`whenReady`,
// policy/host-contract/refs.ts). Each is still its own activity in the history. A failure
// of any cancels the others, and waits until every host has confirmed, before the caller
// rolls back. With the server far from the hosts, each hand-off cost two round trips.
// Post-copy has its own: the dump, the push, the target's lazy-pages daemon and its restore.
import { CancellationScope } from '@temporalio/workflow';
import type { ConcreteStrategy } from '../policy/strategy';
import { onHost, type MigrationContext } from './context';
import { finalSyncWindow, holdFront, preCopyRounds, recordDump, recordRestore, recordTransfer } from './state-transfer';
import { stopTargetOnUndo } from './target-undo';

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
  const { source, target, run, hosts, request } = ctx;
  const parentRound = strategy === 'pre-copy' ? await preCopyRounds(ctx) : undefined;
  const streamed = strategy !== 'stop-and-copy';
  ctx.enter('checkpoint');
  const dumpRef = { ...run, parentRound };
  const pageServer = streamed ? await onHost(target, 'checkpoint', () => target.quick.startPageServer(dumpRef)) : undefined;
  stopTargetOnUndo(ctx); // before anything can restore
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
      recordRestore(ctx, result, false);
      ctx.enter('verify');
    });
    const verifying = onHost(target, 'verify', () => target.long.verify({ ...run, healthCheck: request.options.healthCheck, whenReady: true }));
    // The raw steps too: each must settle (a cancelled one confirmed by its host) before a rollback.
    return [dumped, pushing, pushed, restoring, restored, verifying, Promise.all([restored, verifying])];
  });
}

/**
 * Post-copy, from the freeze to the container running on the target on the source's pages.
 * The source's dump serves the pages; the target's lazy-pages daemon finds where in the
 * images. From the restore's end there is no way back (workflows/target-undo.ts); the drain
 * and verify follow in the workflow.
 */
export async function lazyFreezeToRunning(ctx: MigrationContext): Promise<void> {
  const { source, target, run, hosts, request } = ctx;
  ctx.enter('checkpoint');
  stopTargetOnUndo(ctx); // before anything can restore
  await holdFront(ctx);
  const changedWithinSeconds = finalSyncWindow(ctx);
  await together(() => {
    const dumped = onHost(source, 'checkpoint', () => source.once.postCopyDump({ ...run, ghostLimitBytes: request.options.ghostLimitBytes })).then((dump) => {
      recordDump(ctx, dump, false);
      ctx.enter('transfer');
    });
    const pushing = onHost(source, 'transfer', () => source.long.pushImages({ ...run, target: hosts.target, changedWithinSeconds, whenReady: true }));
    const pushed = Promise.all([dumped, pushing]).then(([, images]) => {
      recordTransfer(ctx, images);
      ctx.enter('restore');
    });
    const lazyPages = onHost(target, 'restore', () => target.long.startLazyPages({ ...run, whenReady: true }));
    // A lazy-pages daemon serves one restore: a post-copy restore is not retried in place.
    // Recorded at once, whatever else is pending: from here the target may hold the only current state.
    const restoring = onHost(target, 'restore', () => target.once.restore({ ...run, lazyPages: true, whenReady: true })).then((restored) => recordRestore(ctx, restored, true));
    return [dumped, pushing, pushed, lazyPages, restoring, Promise.all([pushed, lazyPages, restoring])];
  });
}
