// The source host's steps: preflight, the copies to the target, the dumps, and the commit
// (a forward step that destroys the original once the target runs; not an undo).
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { activityInfo } from '@temporalio/activity';
import type { CheckpointResult, DumpRef, HeldStateOptions, LazyDumpResult, Peer, RunRef, SourceActivities, TransferResult, VolumeCopy } from '../../policy/host-contract';
import { DEFAULT_GHOST_LIMIT_BYTES } from '../../policy/request';
import { PAGE_SIZE, type Round } from '../../policy/convergence';
import { HostLayout } from '../../runtime/layout';
import type { ListeningPort } from '../../runtime/proc-net';
import type { NetworkAttachment } from '../../policy/container-network';
import { cgroupMemoryBytes } from '../../runtime/cgroup';
import { parseDumpStats, type DumpStats } from '../../runtime/criu-stats';
import { criuGhostLimitOption } from '../../runtime/criu';
import { daemonPid, startDaemon } from '../../runtime/daemon';
import { syncExactly } from '../../runtime/final-sync';
import { heartbeating } from '../heartbeat';
import { preconditionFailed } from '../errors';
import { readText, type HostContext } from './context';
import { checkHost, cpuinfoDir, dumpableHere, preflightRoot } from './preflight';
import { settleEarlierAttempts, stopEarlierCopies } from './stragglers';
import { dumpOptions, toPageServer, toReceiver } from './transport';
import { READY_POLL_MS, until, whenReady } from './polling';
import { writeLazyEndpoint } from './lazy-endpoint';
import { recordFencedPorts, unfenceNewConnections } from './fence';
import { findVolumes, pushVolumes, removeVolumes } from './volumes';
import { dropRelinks, relinkRemaps } from './link-remaps';
import { attachmentInBundle, beforeFreeze, connectionsAtFreeze, netnsOf, onceFrozen, removeContainerNetns, settleUnixBacklog, tcpFor } from './network';

/** ctime is finer than this; a write that ended as the first copy began counts as changed. */
const FIRST_SYNC_SLACK_SECONDS = 2;

/**
 * The final sync's window, as a measure taken when it is used (time passes between the root
 * fs and the volumes): since the first copy began by this host's clock, as pushBundle
 * recorded it. Without the record (a run prepared by an older worker), the orchestrator's
 * span since the prepare phase began plus how late this step runs after it was scheduled
 * (queue, retries, the image copy before it), by Temporal's and this host's clocks.
 */
async function syncWindow({ records }: HostContext, run: RunRef & { changedWithinSeconds?: number }): Promise<() => number | undefined> {
  const first = await records.read(records.firstSync(run));
  if (first) return () => (Date.now() - first.startedAt) / 1000 + FIRST_SYNC_SLACK_SECONDS;
  const given = run.changedWithinSeconds;
  if (given === undefined) return () => undefined;
  return () => given + Math.max(0, Math.floor((Date.now() - activityInfo().scheduledTimestampMs) / 1000));
}

const sumBytes = (copies: readonly VolumeCopy[]) => copies.reduce((sum, c) => sum + c.bytes, 0);

/** `--parent-path` for a dump that builds on a pre-dump round. */
const parentPathOf = (dump: DumpRef) => (dump.parentRound === undefined ? undefined : HostLayout.parentLink(dump.parentRound));

/** CRIU options for what the final dump carries besides memory (an older orchestrator sends none). */
const heldStateOptions = (input: HeldStateOptions) => [criuGhostLimitOption(input.ghostLimitBytes ?? DEFAULT_GHOST_LIMIT_BYTES)];

/** CRIU's statistics of the dump whose work directory is `workDir`. */
async function dumpStats({ rt }: HostContext, workDir: string): Promise<DumpStats | null> {
  const file = path.join(workDir, 'stats-dump');
  return (await rt.exists(file)) ? parseDumpStats(await rt.readFile(file)) : null;
}

/**
 * How every final dump begins: new clients fenced off or the link cut (a retry finds them in
 * place), the time recorded, then runc's pause. Found paused, a retry keeps the first time.
 */
async function freezeForDump(ctx: HostContext, run: RunRef): Promise<{ status: 'running' | 'paused'; attachment: NetworkAttachment | null; fencedPorts: ListeningPort[]; frozenAt: number }> {
  const { rt, host, layout, runc, records } = ctx;
  await rt.mkdirp(layout.workRoot(run.runKey));
  const status = await runc.status(run.container);
  if (status !== 'running' && status !== 'paused') {
    throw preconditionFailed(`container ${run.container} on host ${host.name} is ${status}; cannot checkpoint it`);
  }
  const attachment = await attachmentInBundle(ctx, run.container);
  const fencedPorts = await beforeFreeze(ctx, run, attachment);
  if (status === 'running') {
    // Recorded before the pause: a crash between the two must not let a retry count the
    // downtime from its own, later start. (Still running on retry: it records anew.) And
    // before the settling, which may cut its clients off already.
    await records.write(records.frozen(run), { frozenAt: Date.now() });
    await heartbeating((signal) => settleUnixBacklog(ctx, run, attachment, signal));
    await runc.pause(run.container);
  }
  await onceFrozen(ctx, run, attachment);
  const frozenAt = (await records.read(records.frozen(run)))?.frozenAt ?? Date.now();
  return { status, attachment, fencedPorts, frozenAt };
}

export function sourceSteps(ctx: HostContext): SourceActivities {
  const { rt, host, layout, runc, criu, rsync, faults, records } = ctx;

  /** The images, then the exact final sync of the root file system and the volumes. */
  async function pushState(run: RunRef & { target: Peer; changedWithinSeconds?: number }): Promise<TransferResult> {
    await stopEarlierCopies(ctx, run);
    const started = Date.now();
    const { bytes, volumes } = await heartbeating((signal) =>
      toReceiver(ctx, run, async (at) => {
        // Images first (restore needs them); the pages already sit on the target, so no --delete.
        const images = await rsync.push(layout.outgoingImages(run.runKey), { ...at, path: layout.relIncomingImages(run.runKey) }, { mirror: false }, { signal });
        // The container is frozen now, so this last pass catches every file it wrote, exactly.
        const bundle = { ...at, path: layout.relBundle(run.container) };
        const listFile = path.join(layout.workRoot(run.runKey), 'changed-files');
        const window = await syncWindow(ctx, run);
        const rootfs = await syncExactly(rt, rsync, layout.bundle(run.container), bundle, { changedWithinSeconds: window(), listFile }, { signal });
        const volumes = await pushVolumes(ctx, run, at, { exact: true, changedWithinSeconds: window() }, signal);
        return { bytes: images + rootfs + sumBytes(volumes), volumes };
      }),
    );
    return { bytes, seconds: (Date.now() - started) / 1000, ...(volumes.length ? { volumes } : {}) };
  }

  /** The marker a restore scheduled with the transfer waits for (layout.relTransferred). */
  async function pushMarker(run: RunRef, at: { address: string; port: number }, signal: AbortSignal): Promise<void> {
    const marker = layout.work(run.runKey, 'transferred');
    await rt.mkdirp(marker);
    await rt.writeFile(path.join(marker, 'run'), `${run.runKey}\n`);
    await rsync.push(marker, { ...at, path: layout.relTransferred(run.runKey) }, { mirror: false }, { signal });
  }

  return {
    async preflightSource({ container, transport, target: peer, sharedPaths }) {
      await faults.before('preflightSource');
      const facts = await checkHost(ctx, transport, peer);
      const state = await runc.state(container);
      if (state === null) throw preconditionFailed(`container ${container} does not exist on host ${host.name}`);
      if (state.status !== 'running') throw preconditionFailed(`container ${container} on host ${host.name} is ${state.status}, not running`);
      await dumpableHere(ctx, container, state.pid);
      const volumes = await findVolumes(ctx, container, sharedPaths ?? []);
      const network = await attachmentInBundle(ctx, container);
      if (network && !(await netnsOf(ctx, network).exists(container))) {
        throw preconditionFailed(`container ${container} on host ${host.name} has a network of its own, but no namespace at ${netnsOf(ctx, network).path(container)}`);
      }
      const cpuinfo = await criu.cpuinfoDump(cpuinfoDir(ctx, container));
      await rt.remove(preflightRoot(ctx, container));
      return {
        host: host.name,
        criu: facts,
        containerStatus: state.status,
        memoryBytes: await cgroupMemoryBytes(rt, state.pid),
        rootfsBytes: await rt.treeBytes(path.join(layout.bundle(container), 'rootfs')),
        cpuinfo: cpuinfo.toString('base64'),
        volumes,
        network,
        waitsWhenReady: true,
        postCopyWhenReady: true,
      };
    },

    async pushBundle(run): Promise<TransferResult> {
      await faults.before('pushBundle');
      await stopEarlierCopies(ctx, run);
      const started = Date.now();
      // The first attempt's start, kept: a file it copied and that changed since must go again.
      if (!(await records.read(records.firstSync(run)))) {
        await rt.mkdirp(layout.workRoot(run.runKey));
        await records.write(records.firstSync(run), { startedAt: started });
      }
      const { bundle, volumes } = await heartbeating((signal) =>
        toReceiver(ctx, run, async (at) => ({
          bundle: await rsync.push(layout.bundle(run.container), { ...at, path: layout.relBundle(run.container) }, { mirror: true }, { signal }),
          volumes: await pushVolumes(ctx, run, at, { exact: false }, signal),
        })),
      );
      return { bytes: bundle + sumBytes(volumes), seconds: (Date.now() - started) / 1000, ...(volumes.length ? { volumes } : {}) };
    },

    async measureLink(run) {
      const MiB = 1024 * 1024;
      // Beside the run's directory, not in it: nothing else of the run exists on the source
      // yet, so a failed probe must not leave a run directory behind.
      const dir = path.join(host.stateDir, 'work', `link-probe-${run.runKey}`);
      // Into the run's incoming directory on the target (the receiver accepts nothing else).
      const remotePath = path.posix.join(path.relative(host.stateDir, layout.incomingRoot(run.runKey)), 'link-probe');
      return toReceiver(ctx, run, async (at) => {
        const remote = { ...at, path: remotePath };
        const timedPush = async (bytes: number) => {
          await rt.remove(dir);
          await rt.mkdirp(dir);
          // Random bytes: nothing on the way can compress them.
          await rt.writeFile(path.join(dir, 'data'), randomBytes(bytes));
          const started = Date.now();
          await rsync.push(dir, remote, { mirror: true });
          return (Date.now() - started) / 1000;
        };
        try {
          const small = await timedPush(1 * MiB);
          const large = await timedPush(9 * MiB);
          return { bytesPerSecond: large - small > 0.005 ? (8 * MiB) / (large - small) : null };
        } finally {
          // An empty mirror push deletes the probe's data on the target too (best effort: the
          // run's incoming directory goes at the end anyway, and a failure here must not hide
          // the one that brought us here).
          await rt.remove(dir);
          await rt.mkdirp(dir);
          await rsync.push(dir, remote, { mirror: true }).catch(() => 0);
          await rt.remove(dir);
        }
      });
    },

    async preDump(dump): Promise<Round> {
      const injected = await faults.before('preDump');
      await heartbeating((signal) => settleEarlierAttempts(ctx, dump, signal));
      const done = await records.read(records.round(dump, dump.round));
      if (done) return done;
      const imagePath = layout.outgoingRound(dump.runKey, dump.round);
      const workPath = layout.work(dump.runKey, `round-${dump.round}`);
      await rt.remove(imagePath);
      await rt.mkdirp(imagePath);
      const started = Date.now();
      await heartbeating((signal) =>
        toPageServer(ctx, dump, (pageServer) =>
          runc.checkpoint(
            dump.container,
            { imagePath, workPath, preDump: true, pageServer, parentPath: parentPathOf(dump), criuEnv: injected.criuEnv, criuOptions: dumpOptions(ctx, dump) },
            { signal },
          ),
        ),
      );
      const stats = await dumpStats(ctx, workPath);
      const round: Round = {
        round: dump.round,
        pagesWritten: stats?.pagesWritten ?? 0,
        pagesSkipped: stats?.pagesSkippedParent ?? 0,
        seconds: (Date.now() - started) / 1000,
        bytes: (stats?.pagesWritten ?? 0) * PAGE_SIZE,
      };
      await records.write(records.round(dump, dump.round), round);
      return round;
    },

    async checkpoint(run): Promise<CheckpointResult> {
      const injected = await faults.before('checkpoint');
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      const done = await records.read(records.dump(run));
      if (done) return done;
      const { status, attachment, fencedPorts, frozenAt } = await freezeForDump(ctx, run);
      const started = Date.now();
      const imagePath = layout.outgoingImages(run.runKey);
      await rt.remove(imagePath); // a half-written dump from a crashed attempt is worthless
      await rt.mkdirp(imagePath);
      // Found paused: an earlier attempt may have dumped and made links, which would take the
      // names this dump's CRIU makes anew. (Found running, none did: only rollback thaws.)
      if (status === 'paused') await dropRelinks(ctx, run);
      const workPath = layout.work(run.runKey, 'dump');
      const criuOptions = [...(dumpOptions(ctx, run) ?? []), ...heldStateOptions(run)];
      const connections = await connectionsAtFreeze(ctx, run.container, attachment);
      const tcp = tcpFor(attachment);
      await heartbeating((signal) =>
        toPageServer(ctx, run, (pageServer) =>
          runc.checkpoint(run.container, { imagePath, workPath, pageServer, parentPath: parentPathOf(run), criuEnv: injected.criuEnv, criuOptions, tcp }, { signal }),
        ),
      );
      await relinkRemaps(ctx, run, imagePath);
      if (fencedPorts.length > 0) await recordFencedPorts(ctx, imagePath, fencedPorts);
      const stats = await dumpStats(ctx, workPath);
      const result: CheckpointResult = { frozenAt, seconds: (Date.now() - started) / 1000, pagesWritten: stats?.pagesWritten ?? 0, connections };
      await records.write(records.dump(run), result);
      return result;
    },

    async postCopyDump(run): Promise<LazyDumpResult> {
      await faults.before('postCopyDump');
      const done = await records.read(records.lazyDump(run));
      if (done) return done;
      // Paused by runc as for any dump, so that it stays so, alive, whatever becomes of the
      // page transfer, until commit or rollback.
      const { status, attachment, fencedPorts, frozenAt } = await freezeForDump(ctx, run);
      const imagePath = layout.outgoingImages(run.runKey);
      const workPath = layout.work(run.runKey, 'dump');
      await rt.remove(imagePath);
      await rt.mkdirp(imagePath);
      await rt.mkdirp(workPath);
      if (status === 'paused') await dropRelinks(ctx, run);
      if (fencedPorts.length > 0) await recordFencedPorts(ctx, imagePath, fencedPorts);
      const pageServer = { address: host.address, port: await rt.freePort(host.address) };
      const pidFile = records.postCopyDumpPidFile(run);
      const connections = await connectionsAtFreeze(ctx, run.container, attachment);
      await startDaemon(rt, {
        command: host.runc,
        args: runc.lazyCheckpointArgs(run.container, { imagePath, workPath, listen: pageServer, tcp: tcpFor(attachment) }),
        pidFile,
        logFile: path.join(workPath, 'runc.out'),
        env: await runc.criuRunEnvironment(workPath, heldStateOptions(run), tcpFor(attachment)),
      });
      // CRIU runs its status-ready hook once the page server listens: the target may connect.
      await heartbeating((signal) =>
        until(async () => {
          if ((await readText(rt, path.join(workPath, 'dump.log'))).includes('Running status-ready scripts')) return true;
          if ((await daemonPid(rt, pidFile, imagePath)) !== null) return false;
          const runcSays = (await readText(rt, path.join(workPath, 'runc.out'))).trim().split('\n').slice(-2).join('\n');
          throw new Error(`post-copy dump of ${run.container} failed${runcSays ? `: ${runcSays}` : ''}${await runc.criuLogErrors(workPath, 'dump.log')}`);
        }, signal, READY_POLL_MS),
      );
      // Left running, CRIU removed its link remaps before serving; the target needs them.
      await relinkRemaps(ctx, run, imagePath);
      // For a target whose lazy-pages daemon was scheduled with this dump (lazy-endpoint.ts).
      await writeLazyEndpoint(rt, imagePath, pageServer);
      const result: LazyDumpResult = { frozenAt, seconds: (Date.now() - frozenAt) / 1000, pagesWritten: 0, pageServer, connections };
      await records.write(records.lazyDump(run), result);
      return result;
    },

    async awaitPagesDrained(run) {
      const workPath = layout.work(run.runKey, 'dump');
      const started = Date.now();
      await heartbeating((signal) => until(async () => (await daemonPid(rt, records.postCopyDumpPidFile(run), layout.outgoingImages(run.runKey))) === null, signal));
      const logFile = path.join(workPath, 'dump.log');
      const log = await readText(rt, logFile);
      if (/FAILED/.test(log)) {
        throw new Error(`post-copy page transfer of ${run.container} from host ${host.name} failed${await runc.criuLogErrors(workPath, 'dump.log')}`);
      }
      // The log's last write is the dump's end: right after a crash and retry as well.
      const drainedAt = Number((await rt.executeOk('date', ['-r', logFile, '+%s%3N'])).stdout.trim());
      return { seconds: (Date.now() - started) / 1000, ...(Number.isSafeInteger(drainedAt) ? { drainedAt } : {}) };
    },

    async pushImages(run): Promise<TransferResult> {
      // Scheduled with the checkpoint: it starts once the dump is complete here (or, post-copy,
      // once the dump serves its pages: all but the pages are in the images then).
      const dumped = async () => (await records.read(records.dump(run))) !== null || (await records.read(records.lazyDump(run))) !== null;
      if (run.whenReady) await heartbeating((signal) => whenReady(dumped, signal));
      await faults.before('pushImages');
      const pushed = run.whenReady ? await records.read(records.pushed(run)) : null;
      const result = pushed ?? (await pushState(run));
      // Last, so that a restore waiting for it finds everything there; a retry sends just this.
      if (run.whenReady) {
        await records.write(records.pushed(run), result);
        await heartbeating((signal) => toReceiver(ctx, run, (at) => pushMarker(run, at, signal)));
      }
      return result;
    },

    async commitSource(run) {
      await faults.before('commitSource');
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      await dropRelinks(ctx, run); // while it is still there to reach them through
      const attachment = await attachmentInBundle(ctx, run.container);
      await runc.destroy(run.container);
      // Its address lives on at the target: this host's namespace for it goes, link and all.
      if (attachment) await removeContainerNetns(ctx, run.container, attachment);
      await unfenceNewConnections(ctx, run.container);
      if (!run.keepVolumes) await removeVolumes(ctx, run);
      await rt.remove(layout.bundle(run.container));
      await rt.remove(layout.outgoingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
    },
  };
}
