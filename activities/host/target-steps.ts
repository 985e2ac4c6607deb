// The target host's steps: preflight, staging the bundle, the servers that receive pages,
// restore and verification, and finishing (a forward step once the move is done; not an undo).
import path from 'node:path';
import type { DumpRef, PageServerEndpoint, RestoreResult, RunRef, TargetActivities } from '../../policy/host-contract';
import type { HealthCheck } from '../../policy/request';
import { HostLayout } from '../../runtime/layout';
import { placeBundle } from '../../runtime/bundle';
import { daemonPid, startDaemon, stopDaemon } from '../../runtime/daemon';
import { heartbeating } from '../heartbeat';
import { preconditionFailed } from '../errors';
import { readText, type HostContext } from './context';
import { checkHost, cpuinfoDir, preflightRoot } from './preflight';
import { settleEarlierAttempts } from './stragglers';
import { tlsFiles } from './transport';
import { READY_POLL_MS, until, whenReady } from './polling';
import { restoreFromImages, restoreWorkPath } from './restore';
import { readLazyEndpoint } from './lazy-endpoint';
import { checkVolumesRoom, placementOf } from './volumes';
import { holdRestoredPorts, unfenceNewConnections } from './fence';
import { admitTargetClients, afterTargetRestore, attachmentInBundle, checkAddressFree, prepareTargetNetns, tcpFor } from './network';

/** The source's last push of the run is here: it sends the `transferred` marker after everything else. */
const imagesArrived = ({ rt, layout }: HostContext, run: RunRef) => rt.exists(layout.transferred(run.runKey));

/**
 * The run's lazy-pages daemon accepts restore's call: like the dump, it runs its status-ready
 * hook once its socket listens.
 */
async function lazyPagesReady(ctx: HostContext, run: RunRef): Promise<boolean> {
  return (await readText(ctx.rt, path.join(restoreWorkPath(ctx, run), 'lazy-pages.log'))).includes('Running status-ready scripts');
}

/** Images a page server writes: a round's directory, or the final images. */
const incomingDir = ({ layout }: HostContext, dump: DumpRef) =>
  dump.round === undefined ? layout.incomingImages(dump.runKey) : layout.incomingRound(dump.runKey, dump.round);

/** Memory pages on the target for a run: the final dump's and every pre-dump round's. */
async function incomingPageBytes({ rt, layout }: HostContext, run: RunRef): Promise<number> {
  const dirs = [layout.incomingImages(run.runKey)];
  for (let round = 1; await rt.exists(layout.incomingRound(run.runKey, round)); round++) dirs.push(layout.incomingRound(run.runKey, round));
  let total = 0;
  for (const dir of dirs) {
    total += (await rt.fileSizes(dir)).filter((f) => f.name.startsWith('pages-')).reduce((sum, f) => sum + f.size, 0);
  }
  return total;
}

async function runHealthCheck({ runc }: HostContext, container: string, check: HealthCheck, signal: AbortSignal): Promise<void> {
  const result = await runc.exec(container, check.exec, { signal, timeoutMs: check.timeoutSeconds * 1000 });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`health check ${JSON.stringify(check.exec)} exited ${result.code ?? result.signal}${output ? `: ${output}` : ''}`);
  }
}

export function targetSteps(ctx: HostContext): TargetActivities {
  const { rt, host, layout, runc, criu, faults, records } = ctx;
  return {
    async preflightTarget({ container, cpuinfo, requiredBytes, transport, volumes, network }) {
      const facts = await checkHost(ctx, transport);
      const containerExists = (await runc.state(container)) !== null;
      if (containerExists) throw preconditionFailed(`host ${host.name} already has a container named ${container}`);
      await rt.mkdirp(layout.incoming);
      const freeBytes = await rt.freeBytes(layout.incoming);
      if (freeBytes < requiredBytes) {
        throw preconditionFailed(`host ${host.name} has ${freeBytes} bytes free in ${layout.incoming}; the migration needs about ${requiredBytes}`);
      }
      await checkVolumesRoom(ctx, container, volumes ?? []);
      if (network) await checkAddressFree(ctx, container, network);
      const cpuDir = cpuinfoDir(ctx, container);
      await rt.mkdirp(cpuDir);
      await rt.writeFile(path.join(cpuDir, 'cpuinfo.img'), Buffer.from(cpuinfo, 'base64'));
      const cpu = await criu.cpuinfoCheck(cpuDir);
      await rt.remove(preflightRoot(ctx, container));
      if (!cpu.compatible) throw preconditionFailed(`host ${host.name} cannot run the source's CPU state: ${cpu.output}`);
      return { host: host.name, criu: facts, containerExists, freeBytes, cpuCompatible: cpu.compatible, cpuCheckOutput: cpu.output, waitsWhenReady: true, postCopyWhenReady: true };
    },

    async stageBundle(run) {
      await faults.before('stageBundle');
      const bundle = layout.bundle(run.container);
      await placeBundle(rt, bundle, run.container, placementOf(ctx, run));
      await rt.mkdirp(layout.incomingRoot(run.runKey));
      await rt.writeFile(layout.stagedMarker(run.runKey), run.container);
    },

    async startPageServer(dump): Promise<PageServerEndpoint> {
      await faults.before('startPageServer');
      const pidFile = layout.pageServerPidFile(dump.runKey, dump.round);
      const imagesDir = incomingDir(ctx, dump);
      const existing = await records.read(records.pageServer(dump));
      const running = await daemonPid(rt, pidFile, imagesDir);
      if (existing && running !== null) return existing;
      // Started, but the attempt died before recording where: a second server would take over
      // the pid file and leave this one where no clean-up finds it.
      if (running !== null) await stopDaemon(rt, pidFile, imagesDir);
      await rt.mkdirp(imagesDir);
      if (dump.parentRound !== undefined) {
        // Pages unchanged since that round stay there; restore follows the link to them.
        await rt.remove(path.join(imagesDir, 'parent'));
        await rt.symlink(HostLayout.parentLink(dump.parentRound), path.join(imagesDir, 'parent'));
      }
      // Tunnelled: only this host's sshd may reach it, so it listens on loopback alone.
      const address = dump.transport === 'ssh-tunnel' ? '127.0.0.1' : host.address;
      const endpoint = { address, port: await rt.freePort(address) };
      await criu.startPageServer({
        imagesDir,
        workDir: layout.work(dump.runKey, HostLayout.pageServerName(dump.round)),
        address: endpoint.address,
        port: endpoint.port,
        pidFile,
        tls: dump.transport === 'criu-tls' ? tlsFiles(ctx) : undefined,
      });
      await records.write(records.pageServer(dump), endpoint);
      return endpoint;
    },

    async startLazyPages(input) {
      const imagesDir = layout.incomingImages(input.runKey);
      // Scheduled with the dump: it starts once the images, which say where the pages are, are here.
      if (input.whenReady) await heartbeating((signal) => whenReady(() => imagesArrived(ctx, input), signal));
      await faults.before('startLazyPages');
      const pidFile = records.lazyPagesPidFile(input);
      const workDir = restoreWorkPath(ctx, input);
      const logFile = path.join(workDir, 'lazy-pages.log');
      const ready = () => lazyPagesReady(ctx, input);
      if ((await daemonPid(rt, pidFile, workDir)) !== null && (await ready())) return;
      const source = input.pageServer ?? (await readLazyEndpoint(rt, imagesDir));
      await rt.mkdirp(workDir);
      await rt.remove(path.join(workDir, 'lazy-pages.socket'));
      await rt.remove(logFile);
      const args = criu.lazyPagesArgs({ imagesDir, workDir, source });
      await startDaemon(rt, { command: criu.binary, args, pidFile, logFile: path.join(workDir, 'lazy-pages.out') });
      await heartbeating((signal) =>
        until(async () => {
          if (await ready()) return true;
          if ((await daemonPid(rt, pidFile, workDir)) !== null) return false;
          throw new Error(`CRIU lazy-pages daemon on host ${host.name} exited${await runc.criuLogErrors(workDir, 'lazy-pages.log')}`);
        }, signal, READY_POLL_MS),
      );
    },

    async restore(run): Promise<RestoreResult> {
      const lazyPages = run.lazyPages ?? false;
      const imagePath = layout.incomingImages(run.runKey);
      // Scheduled with the checkpoint: it starts once the source's last push is here (and,
      // post-copy, once the lazy-pages daemon it restores through listens; if that daemon
      // fails, its own step fails and the workflow cancels this one).
      if (run.whenReady) {
        const ready = async () => (await imagesArrived(ctx, run)) && (!lazyPages || (await lazyPagesReady(ctx, run)));
        await heartbeating((signal) => whenReady(ready, signal));
      }
      await faults.before('restore', { imagesDir: imagePath });
      await heartbeating((signal) => settleEarlierAttempts(ctx, run, signal));
      const done = await records.read(records.restored(run));
      const running = (await runc.status(run.container)) === 'running';
      const attachment = await attachmentInBundle(ctx, run.container);
      if (done && running) return done;
      const pageBytes = await incomingPageBytes(ctx, run);
      if (running && (await rt.exists(layout.stagedMarker(run.runKey)))) {
        // Restored by an attempt that died before recording it (its runc has finished: see
        // above). That copy may already have answered clients: restoring again from the images
        // would turn its state back. Keep it; downtime then counts to now, an upper bound.
        const adopted: RestoreResult = { runningAt: Date.now(), seconds: 0, pageBytes };
        if (attachment) await afterTargetRestore(ctx, run, attachment);
        await records.write(records.restored(run), adopted);
        return adopted;
      }
      const started = Date.now();
      // Rules an earlier, abandoned move of this container away from here may have left; then,
      // in the host's network, the ports its source fenced, held until commit (fence.ts).
      await unfenceNewConnections(ctx, run.container);
      if (!attachment) await holdRestoredPorts(ctx, run, imagePath);
      // The placed config.json was overwritten by the final rootfs sync: place it again.
      await placeBundle(rt, layout.bundle(run.container), run.container, placementOf(ctx, run));
      // Its own address, here now too: locked until the restore lifts it (activities/host/network.ts).
      if (attachment) await prepareTargetNetns(ctx, run, attachment);
      const from = { imagePath, tcp: tcpFor(attachment), lazyPages };
      await heartbeating((signal) => restoreFromImages(ctx, run, from, signal)).catch(async (err: Error) => {
        // Post-copy: the reason is often on the lazy-pages daemon's side of the socket.
        const lazy = lazyPages ? await runc.criuLogErrors(restoreWorkPath(ctx, run), 'lazy-pages.log') : '';
        throw lazy ? new Error(`${err.message}\nlazy-pages${lazy}`) : err;
      });
      const runningAt = Date.now();
      if (attachment) await afterTargetRestore(ctx, run, attachment);
      const result: RestoreResult = { runningAt, seconds: (runningAt - started) / 1000, pageBytes };
      await records.write(records.restored(run), result);
      return result;
    },

    async verify(run) {
      // Scheduled with the restore: it starts once the copy is restored here.
      if (run.whenReady) await heartbeating((signal) => whenReady(async () => (await records.read(records.restored(run))) !== null, signal));
      await faults.before('verify');
      await heartbeating(async (signal) => {
        for (let i = 0; i < 2; i++) {
          const status = await runc.status(run.container, { signal });
          if (status !== 'running') throw new Error(`container ${run.container} on host ${host.name} is ${status} after restore`);
          // Twice, a moment apart: a process that dies right after restore is not a success.
          if (i === 0) await new Promise((r) => setTimeout(r, 200));
        }
        if (run.healthCheck) await runHealthCheck(ctx, run.container, run.healthCheck, signal);
      });
    },

    async admitClients(run) {
      await faults.before('admitClients');
      return { admittedAt: await admitTargetClients(ctx, run.container) };
    },

    async finishTarget(run) {
      await rt.remove(layout.stagedMarker(run.runKey));
      if (!run.keepImages) await rt.remove(layout.incomingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
      return { keptAt: run.keepImages ? layout.incomingRoot(run.runKey) : null };
    },
  };
}
