// Moving the container's state to the target, by strategy: what happens between "prepared"
// and "ready to restore". Each strategy ends with the source frozen and the target holding
// a complete image set, except post-copy, where the source still holds the pages.
import { PAGE_SIZE, decide } from '../policy/convergence';
import type { CheckpointResult, PageServerEndpoint, RestoreResult, TransferResult } from '../policy/host-contract';
import type { ConcreteStrategy } from '../policy/strategy';
import { onHost, type MigrationContext } from './context';
import { onFront } from './front';

/**
 * The window's slack beyond what is measured: the prepare phase's start in workflow time
 * precedes the first push, and the host adds how late its step runs after being scheduled
 * (by its clock against Temporal's). So this covers clock skew between the hosts and the
 * Temporal server, which NTP keeps far below it. (It was 60 s, before hosts added their
 * lateness: then a root fs copied within the last minute, as a container moved twice in a
 * minute has, was sent whole again while frozen.)
 */
const FINAL_SYNC_MARGIN_SECONDS = 10;

/**
 * Files changed since the first sync began are sent exactly (runtime/final-sync.ts). A
 * duration, not a time: the hosts' clocks need not agree with the orchestrator's. (The host
 * adds how late its step runs after being scheduled.)
 */
export function finalSyncWindow({ tracker }: MigrationContext): number {
  const prepared = tracker.phases.find((p) => p.phase === 'prepare')?.startedAt ?? tracker.startedAt;
  return Math.ceil((Date.now() - prepared) / 1000) + FINAL_SYNC_MARGIN_SECONDS;
}

/** Freeze and dump; pages stream to a page server on the target, or go to disk first. */
async function finalDump(ctx: MigrationContext, opts: { streamed: boolean; parentRound?: number }): Promise<void> {
  const { source, target, run, hosts, request } = ctx;
  ctx.enter('checkpoint');
  const dumpRef = { ...run, parentRound: opts.parentRound };
  const pageServer = opts.streamed ? await onHost(target, 'checkpoint', () => target.quick.startPageServer(dumpRef)) : undefined;
  await holdFront(ctx);
  // Only the final dump carries files (locks, ghosts): pre-dump rounds copy memory alone.
  const { ghostLimitBytes } = request.options;
  const dump = await onHost(source, 'checkpoint', () => source.once.checkpoint({ ...dumpRef, pageServer, target: hosts.target, ghostLimitBytes }));
  recordDump(ctx, dump, opts.streamed);
}

/** What the report keeps of the final dump: the freeze, the connections, the pages streamed. */
export function recordDump({ tracker }: MigrationContext, dump: CheckpointResult, streamed: boolean): void {
  tracker.frozenAt = dump.frozenAt;
  tracker.network.connections = dump.connections ?? null;
  if (streamed) tracker.pageServerBytes += dump.pagesWritten * PAGE_SIZE;
}

/**
 * What the report keeps of a restore. Post-copy: from here the target may hold the only
 * current state, so the unwind must not stop it (workflows/target-undo.ts).
 */
export function recordRestore({ tracker }: MigrationContext, restored: RestoreResult, postCopy: boolean): void {
  tracker.postCopyRunning = postCopy;
  tracker.runningAt = restored.runningAt;
  tracker.restoredAt = restored.runningAt;
  tracker.pageBytes = restored.pageBytes;
}

/** What the report keeps of the push after the freeze: bytes, and each volume's final sync. */
export function recordTransfer({ tracker }: MigrationContext, images: TransferResult): void {
  tracker.rsyncBytes += images.bytes;
  tracker.volumeCopies(images.volumes, 'finalSyncSeconds');
}

/** Just before the freeze: the front holds new requests and lets the source finish the ones in flight. */
export async function holdFront(ctx: MigrationContext): Promise<void> {
  const { front, tracker } = ctx;
  if (!front) return;
  const heldSince = Date.now();
  const drained = await onFront(front, 'checkpoint', () => front.drain.drainSource(front.move));
  if (tracker.front) Object.assign(tracker.front, { heldSince, drainSeconds: drained.waitedMs / 1000, cut: drained.cut });
}

/** Pre-dump rounds while the container runs, until the convergence policy says stop. */
export async function preCopyRounds(ctx: MigrationContext): Promise<number> {
  const { source, target, run, tracker, request, hosts } = ctx;
  ctx.enter('precopy');
  const started = Date.now();
  for (let round = 1; ; round++) {
    const dumpRef = { ...run, round, parentRound: round > 1 ? round - 1 : undefined };
    const pageServer = await onHost(target, 'precopy', () => target.quick.startPageServer(dumpRef));
    const result = await onHost(source, 'precopy', () => source.once.preDump({ ...dumpRef, pageServer, target: hosts.target }));
    tracker.rounds.push(result);
    tracker.pageServerBytes += result.bytes;
    tracker.changed();
    const verdict = decide(tracker.rounds, (Date.now() - started) / 1000, request.options.convergence, request.options.maxDowntimeSeconds);
    tracker.convergence = verdict.reason;
    if (verdict.next === 'final-dump') return round;
  }
}

/** Post-copy: dump all but the pages; the source keeps serving them from a page server. */
async function lazyDump(ctx: MigrationContext): Promise<PageServerEndpoint> {
  const { source, run, request } = ctx;
  ctx.enter('checkpoint');
  await holdFront(ctx);
  const dump = await onHost(source, 'checkpoint', () => source.once.postCopyDump({ ...run, ghostLimitBytes: request.options.ghostLimitBytes }));
  recordDump(ctx, dump, false); // no pages in it: they follow from the page server
  return dump.pageServer;
}

/** What the restore needs to know: for post-copy, where the pages are served from. */
export interface TransferOutcome {
  lazyPages?: PageServerEndpoint;
}

export async function transferState(ctx: MigrationContext, strategy: ConcreteStrategy): Promise<TransferOutcome> {
  let lazyPages: PageServerEndpoint | undefined;
  switch (strategy) {
    case 'page-server':
      await finalDump(ctx, { streamed: true });
      break;
    case 'stop-and-copy':
      await finalDump(ctx, { streamed: false });
      break;
    case 'pre-copy':
      await finalDump(ctx, { streamed: true, parentRound: await preCopyRounds(ctx) });
      break;
    case 'post-copy':
      lazyPages = await lazyDump(ctx);
      break;
  }
  const { source, run, hosts } = ctx;
  ctx.enter('transfer');
  const changedWithinSeconds = finalSyncWindow(ctx);
  const images = await onHost(source, 'transfer', () => source.long.pushImages({ ...run, target: hosts.target, changedWithinSeconds }));
  recordTransfer(ctx, images);
  return { lazyPages };
}
