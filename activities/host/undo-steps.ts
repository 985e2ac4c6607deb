// The compensations a failed migration runs, last step first: stop the target's copy, bring
// the source back, clear the target. Each is idempotent and safe whatever the host's state.
// The two that end a run's work directory keep its logs first (activities/host/diagnostics.ts):
// a run that did not migrate leaves a person CRIU's account of why.
import path from 'node:path';
import { log } from '@temporalio/activity';
import type { UndoActivities } from '../../policy/host-contract';
import { daemonPid } from '../../runtime/daemon';
import { heartbeating } from '../heartbeat';
import type { HostContext } from './context';
import { settleEarlierAttempts, stopEarlierCopies } from './stragglers';
import { restoreFromImages } from './restore';
import { removeVolumes } from './volumes';
import { unfenceNewConnections } from './fence';
import { keptDiagnostics } from './diagnostics';
import { releaseLazyDump } from './lazy-dump';
import { dropRelinks } from './link-remaps';
import { attachmentInBundle, lockSourceNetns, rejoinSourceLink, removeContainerNetns, tcpFor, unlockSourceNetns } from './network';

export function undoSteps(ctx: HostContext): UndoActivities {
  const { rt, host, layout, runc } = ctx;
  return {
    async stopTargetContainer(run) {
      // Only a container this run restored: the marker proves the bundle came from it.
      if (!(await rt.exists(layout.stagedMarker(run.runKey)))) return;
      // A restore a killed worker left running would bring the copy back after we stopped it.
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      await runc.destroy(run.container);
      // Before the source runs again: two live copies of its address would split its clients.
      await removeContainerNetns(ctx, run.container, await attachmentInBundle(ctx, run.container));
      // The hold on its ports here (host network) would keep the host's other clients off them.
      await unfenceNewConnections(ctx, run.container);
    },

    async resumeSource(run) {
      // A post-copy dump still serving pages: ended first, so that CRIU gives the container
      // back. It is a runc command of this run: waiting for the run's runc commands would wait on it.
      await heartbeating((signal) => releaseLazyDump(ctx, run, signal));
      // A dump a killed worker left running would freeze the container again after we resume it.
      await stopEarlierCopies(ctx, run);
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      // Clients may come in again before it runs again, whichever way it comes back.
      await unfenceNewConnections(ctx, run.container);
      const status = await runc.status(run.container);
      let action: 'resumed' | 'already-running' | 'restored-from-images';
      if (status === 'paused') {
        await rejoinSourceLink(ctx, run.container); // its own address: link back before it runs
        await dropRelinks(ctx, run); // before the thaw: the container never sees them
        await runc.resume(run.container);
        action = 'resumed';
      } else if (status === 'running') {
        await rejoinSourceLink(ctx, run.container);
        await dropRelinks(ctx, run);
        action = 'already-running';
      } else {
        // The original is gone (a dump without --leave-running, or a crash): a full local
        // dump is the last way back. A page-server dump has no local pages. The links made
        // again after the dump (link-remaps.ts) stay for this restore, whose CRIU removes them.
        const images = layout.outgoingImages(run.runKey);
        const files = (await rt.exists(images)) ? await rt.treeBytes(images) : 0;
        if (files === 0 || !(await rt.exists(path.join(images, 'pages-1.img')))) {
          throw new Error(`container ${run.container} is ${status} on host ${host.name} and no local images can bring it back`);
        }
        // Its own address: restored like a target's, the namespace locked until CRIU is done.
        const attachment = await attachmentInBundle(ctx, run.container);
        if (attachment) await lockSourceNetns(ctx, run.container, attachment);
        await restoreFromImages(ctx, run, { imagePath: images, tcp: tcpFor(attachment) });
        if (attachment) await unlockSourceNetns(ctx, run.container, attachment);
        await rejoinSourceLink(ctx, run.container);
        action = 'restored-from-images';
      }
      log.info('source back', { container: run.container, action });
      await rt.remove(layout.outgoingRoot(run.runKey));
      // Best effort (it never throws): a rollback does not fail for want of its logs.
      const kept = await keptDiagnostics(ctx, run);
      await rt.remove(layout.workRoot(run.runKey));
      return { action, ...kept };
    },

    async cleanupTarget(run) {
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      // Every page server this run started: one per pre-dump round, one for the final dump.
      // ... and the lazy-pages daemon of a post-copy run (its arguments name the page server too).
      const pidFiles = (await rt.fileSizes(layout.workRoot(run.runKey))).filter((f) => /^(page-server-.*|lazy-pages)\.pid$/.test(f.name));
      for (const file of pidFiles) {
        const pid = await daemonPid(rt, path.join(layout.workRoot(run.runKey), file.name), layout.workRoot(run.runKey));
        if (pid !== null) await rt.execute('kill', ['-KILL', String(pid)]);
      }
      if (await rt.exists(layout.stagedMarker(run.runKey))) {
        await runc.destroy(run.container);
        await removeContainerNetns(ctx, run.container, await attachmentInBundle(ctx, run.container));
        await rt.remove(layout.bundle(run.container));
      } else if ((await runc.state(run.container)) === null) {
        // A push that began before staging leaves a bundle with no marker and no container.
        await rt.remove(layout.bundle(run.container));
      }
      // Copies of the volumes this run made here (preflight refused the run had anything been
      // at their paths before); the source's own are untouched by a rollback.
      await removeVolumes(ctx, run);
      await rt.remove(layout.incomingRoot(run.runKey));
      // Best effort (it never throws): a rollback does not fail for want of its logs.
      const kept = await keptDiagnostics(ctx, run);
      await rt.remove(layout.workRoot(run.runKey));
      return kept;
    },

    async keepDiagnostics(run) {
      // After a failed rollback: the work directory (records, pid files) stays for a person,
      // only the logs move, to where the report says and retention bounds them. Nothing to
      // wait for: a daemon still writing its log (a post-copy dump left serving pages) goes on
      // writing to the moved file, a rename keeps its open file.
      return keptDiagnostics(ctx, run);
    },
  };
}
