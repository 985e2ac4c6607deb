// Every activity a host serves, bound to one host. Each one first looks at the host's
// real state and continues from there, so a retry after a crash is safe.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { log } from '@temporalio/activity';
import type {
  CheckpointResult,
  DumpRef,
  LazyDumpResult,
  HostActivities,
  PageServerEndpoint,
  Peer,
  RestoreResult,
  RunRef,
  TransferResult,
} from '../policy/host-contract';
import type { HostConfig } from '../policy/inventory';
import type { HealthCheck } from '../policy/request';
import type { HostRuntime } from '../runtime/host-runtime';
import { HostLayout } from '../runtime/layout';
import { Runc } from '../runtime/runc';
import { Criu, criuTlsOptions } from '../runtime/criu';
import { Rsync } from '../runtime/rsync';
import { placeBundle } from '../runtime/bundle';
import { cgroupMemoryBytes } from '../runtime/cgroup';
import { cgroupCpuNanos, parseMeminfo, parseProcStat } from '../runtime/usage';
import type { HostUsage } from '../policy/rebalance';
import { parseDumpStats, type DumpStats } from '../runtime/criu-stats';
import { PAGE_SIZE, type Round } from '../policy/convergence';
import { heartbeating } from './heartbeat';
import { preconditionFailed } from './errors';
import { FaultInjector } from './faults';
import { daemonPid, startDaemon, stopDaemon } from '../runtime/daemon';
import { awaitStragglers, killStragglers, type StragglerSpec } from '../runtime/stragglers';
import { sshTo, throughTransport } from './routes';
import type { Transport } from '../policy/transport';

/** Small JSON records a step leaves behind so its retry can find what it already did. */
interface FrozenRecord {
  frozenAt: number;
}

export interface HostActivityOptions {
  /** Honour `<state>/faults.json` (tests only). */
  faultInjection?: boolean;
}

export function createHostActivities(rt: HostRuntime, host: HostConfig, options: HostActivityOptions = {}): HostActivities {
  const layout = new HostLayout(host.stateDir);
  const runc = new Runc(rt, { runc: host.runc, criu: host.criu, root: layout.runcRoot, criuConfig: layout.criuConfig });
  const criu = new Criu(rt, host.criu);
  const rsync = new Rsync(rt, host.rsync);
  const faults = new FaultInjector(rt, layout.faultsFile, options.faultInjection ?? false);

  const readRecord = async <T>(file: string): Promise<T | null> =>
    (await rt.exists(file)) ? (JSON.parse((await rt.readFile(file)).toString('utf8')) as T) : null;
  const writeRecord = (file: string, record: unknown) => rt.writeFile(file, JSON.stringify(record));
  const frozenFile = (run: RunRef) => path.join(layout.workRoot(run.runKey), 'frozen.json');
  const dumpFile = (run: RunRef) => path.join(layout.workRoot(run.runKey), 'dump.json');
  const restoredFile = (run: RunRef) => path.join(layout.workRoot(run.runKey), 'restored.json');
  const endpointFile = (dump: DumpRef) => path.join(layout.workRoot(dump.runKey), `${HostLayout.pageServerName(dump.round)}.json`);
  /** `--parent-path` for a dump that builds on a pre-dump round. */
  const parentPathOf = (dump: DumpRef) => (dump.parentRound === undefined ? undefined : HostLayout.parentLink(dump.parentRound));
  const roundFile = (run: RunRef, round: number) => path.join(layout.workRoot(run.runKey), `round-${round}.json`);
  /** Post-copy daemons: the source's dump serving pages, the target's lazy-pages pulling them. */
  const postCopyDumpPidFile = (run: RunRef) => path.join(layout.workRoot(run.runKey), 'post-copy-dump.pid');
  const lazyPagesPidFile = (run: RunRef) => path.join(layout.workRoot(run.runKey), 'lazy-pages.pid');
  /** Images a page server writes: a round's directory, or the final images. */
  const incomingDir = (dump: DumpRef) => (dump.round === undefined ? layout.incomingImages(dump.runKey) : layout.incomingRound(dump.runKey, dump.round));

  /** Memory pages on the target for a run: the final dump's and every pre-dump round's. */
  async function incomingPageBytes(run: RunRef): Promise<number> {
    const dirs = [layout.incomingImages(run.runKey)];
    for (let round = 1; await rt.exists(layout.incomingRound(run.runKey, round)); round++) dirs.push(layout.incomingRound(run.runKey, round));
    let total = 0;
    for (const dir of dirs) {
      total += (await rt.fileSizes(dir)).filter((f) => f.name.startsWith('pages-')).reduce((sum, f) => sum + f.size, 0);
    }
    return total;
  }

  /** CRIU's statistics of the dump whose work directory is `workDir`. */
  async function dumpStats(workDir: string): Promise<DumpStats | null> {
    const file = path.join(workDir, 'stats-dump');
    return (await rt.exists(file)) ? parseDumpStats(await rt.readFile(file)) : null;
  }
  /** runc dumps and restores of this run that an earlier attempt (a killed worker) left running. */
  const runcOf = (run: RunRef): StragglerSpec => ({ programs: [path.basename(host.runc)], paths: [layout.workRoot(run.runKey)] });
  /** Copies of this run's images or of its container's bundle. */
  const copiesOf = (run: RunRef): StragglerSpec => ({
    programs: [path.basename(host.rsync)],
    paths: [layout.outgoingRoot(run.runKey), layout.bundle(run.container)],
  });
  /** Waits for the run's leftover runc commands: acting beside one could undo what we do. */
  const settleEarlierAttempts = (run: RunRef, signal: AbortSignal) =>
    awaitStragglers(rt, runcOf(run), signal, (p) => {
      log.warn('waiting for a command an earlier attempt left running', { pid: p.pid, argv: p.argv });
    });
  /** Stops leftover copies, which would race this attempt's copy or outlive a rollback. */
  const stopEarlierCopies = async (run: RunRef) => {
    for (const p of await killStragglers(rt, copiesOf(run))) log.warn('stopped a copy an earlier attempt left running', { pid: p.pid, argv: p.argv });
  };
  /** Runs `push` with the target's file receiver as this run's transport reaches it. */
  const toReceiver = <T>(run: RunRef & { target: Peer }, push: (at: { address: string; port: number }) => Promise<T>) =>
    throughTransport(rt, run, run.target, { address: run.target.address, port: run.target.transferPort }, push);
  /** Runs `dump` with the page server (if any) as this run's transport reaches it. */
  const toPageServer = <T>(run: RunRef & { pageServer?: PageServerEndpoint; target?: Peer }, dump: (at?: PageServerEndpoint) => Promise<T>) => {
    if (!run.pageServer || run.transport !== 'ssh-tunnel') return dump(run.pageServer);
    if (!run.target) throw new Error('a tunnelled dump needs the target host');
    return throughTransport(rt, run, run.target, run.pageServer, dump);
  };
  /** This host's TLS files for transport criu-tls; refused when it has none. */
  const tlsFiles = () => {
    if (!host.tls) throw preconditionFailed(`host ${host.name} has no TLS certificate for transport criu-tls (a tls block in its host file)`);
    return host.tls;
  };
  /** CRIU options of this run's dumps: the dumping side's TLS under criu-tls. */
  const dumpOptions = (run: RunRef) => (run.transport === 'criu-tls' ? criuTlsOptions(tlsFiles()) : undefined);

  /** What preflight checks of a transport on this host, before anything changes. */
  async function transportReady(transport: Transport | undefined, target?: Peer): Promise<void> {
    if (transport === 'criu-tls') {
      for (const file of Object.values(tlsFiles())) {
        if (!(await rt.exists(file))) throw preconditionFailed(`host ${host.name} lacks ${file}, named in its tls block (transport criu-tls)`);
      }
    }
    if (transport === 'ssh-tunnel' && target) {
      // Pinned key, credentials, forwarding: refused now rather than at the dump.
      const far = sshTo(target);
      try {
        await far.executeOk('true', []);
      } catch (err) {
        throw preconditionFailed(`host ${host.name} cannot open an SSH tunnel to ${target.name}: ${(err as Error).message}`);
      } finally {
        await far.close();
      }
    }
  }

  /** CRIU and runc need root: an SSH user without it gets this, not a riddle from CRIU. */
  async function requireRoot(): Promise<void> {
    const uid = (await rt.executeOk('id', ['-u'])).stdout.trim();
    if (uid === '0') return; // one command on the usual path: over SSH each costs a round trip
    const name = (await rt.executeOk('id', ['-u', '-n'])).stdout.trim();
    throw preconditionFailed(`host ${host.name}: Godwit acts there as user ${name} (uid ${uid}), but CRIU and runc need root; give the host file a user that is root`);
  }

  async function restoreFromImages(run: RunRef, imagePath: string, signal?: AbortSignal, lazyPages = false): Promise<void> {
    await runc.destroy(run.container, { signal });
    await runc.restore(run.container, { bundle: layout.bundle(run.container), imagePath, workPath: restoreWorkPath(run), lazyPages }, { signal });
  }
  /** Restore's work directory; the lazy-pages daemon puts its socket there for restore to find. */
  const restoreWorkPath = (run: RunRef) => layout.work(run.runKey, 'restore');

  /** Polls `ready` every 100 ms until it says true; it throws to give up. */
  async function until(ready: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
    while (!(await ready())) {
      if (signal.aborted) throw new Error('cancelled');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const readText = async (file: string) => ((await rt.exists(file)) ? (await rt.readFile(file)).toString('utf8') : '');

  async function runHealthCheck(container: string, check: HealthCheck, signal: AbortSignal): Promise<void> {
    const result = await runc.exec(container, check.exec, { signal, timeoutMs: check.timeoutSeconds * 1000 });
    if (result.code !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`health check ${JSON.stringify(check.exec)} exited ${result.code ?? result.signal}${output ? `: ${output}` : ''}`);
    }
  }

  return {
    async preflightSource({ container, transport, target: peer }) {
      await faults.before('preflightSource');
      await requireRoot();
      await transportReady(transport, peer);
      const facts = await criu.facts();
      if (!facts.usable) throw preconditionFailed(`CRIU is not usable on host ${host.name} (${facts.version}): ${facts.checkOutput}`);
      const state = await runc.state(container);
      if (state === null) throw preconditionFailed(`container ${container} does not exist on host ${host.name}`);
      if (state.status !== 'running') throw preconditionFailed(`container ${container} on host ${host.name} is ${state.status}, not running`);
      const cpuDir = layout.work(`preflight-${container}`, 'cpuinfo');
      const cpuinfo = await criu.cpuinfoDump(cpuDir);
      await rt.remove(layout.workRoot(`preflight-${container}`));
      return {
        host: host.name,
        criu: facts,
        containerStatus: state.status,
        memoryBytes: await cgroupMemoryBytes(rt, state.pid),
        rootfsBytes: await rt.treeBytes(path.join(layout.bundle(container), 'rootfs')),
        cpuinfo: cpuinfo.toString('base64'),
      };
    },

    async preflightTarget({ container, cpuinfo, requiredBytes, transport }) {
      await requireRoot();
      await transportReady(transport);
      const facts = await criu.facts();
      if (!facts.usable) throw preconditionFailed(`CRIU is not usable on host ${host.name} (${facts.version}): ${facts.checkOutput}`);
      const containerExists = (await runc.state(container)) !== null;
      if (containerExists) throw preconditionFailed(`host ${host.name} already has a container named ${container}`);
      await rt.mkdirp(layout.incoming);
      const freeBytes = await rt.freeBytes(layout.incoming);
      if (freeBytes < requiredBytes) {
        throw preconditionFailed(`host ${host.name} has ${freeBytes} bytes free in ${layout.incoming}; the migration needs about ${requiredBytes}`);
      }
      const cpuDir = layout.work(`preflight-${container}`, 'cpuinfo');
      await rt.mkdirp(cpuDir);
      await rt.writeFile(path.join(cpuDir, 'cpuinfo.img'), Buffer.from(cpuinfo, 'base64'));
      const cpu = await criu.cpuinfoCheck(cpuDir);
      await rt.remove(layout.workRoot(`preflight-${container}`));
      if (!cpu.compatible) throw preconditionFailed(`host ${host.name} cannot run the source's CPU state: ${cpu.output}`);
      return { host: host.name, criu: facts, containerExists, freeBytes, cpuCompatible: cpu.compatible, cpuCheckOutput: cpu.output };
    },

    async pushBundle(run): Promise<TransferResult> {
      await faults.before('pushBundle');
      await stopEarlierCopies(run);
      const started = Date.now();
      const bytes = await heartbeating((signal) =>
        toReceiver(run, (at) => rsync.push(layout.bundle(run.container), { ...at, path: layout.relBundle(run.container) }, { mirror: true }, { signal })),
      );
      return { bytes, seconds: (Date.now() - started) / 1000 };
    },

    async measureLink(run) {
      const MiB = 1024 * 1024;
      // Beside the run's directory, not in it: nothing else of the run exists on the source
      // yet, so a failed probe must not leave a run directory behind.
      const dir = path.join(host.stateDir, 'work', `link-probe-${run.runKey}`);
      // Into the run's incoming directory on the target (the receiver accepts nothing else).
      const remotePath = path.posix.join(path.relative(host.stateDir, layout.incomingRoot(run.runKey)), 'link-probe');
      return toReceiver(run, async (at) => {
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

    async stageBundle(run) {
      await faults.before('stageBundle');
      const bundle = layout.bundle(run.container);
      await placeBundle(rt, bundle, run.container, { netnsPath: host.netnsPath, cgroupParent: host.cgroupParent });
      await rt.mkdirp(layout.incomingRoot(run.runKey));
      await rt.writeFile(layout.stagedMarker(run.runKey), run.container);
    },

    async startPageServer(dump): Promise<PageServerEndpoint> {
      await faults.before('startPageServer');
      const pidFile = layout.pageServerPidFile(dump.runKey, dump.round);
      const imagesDir = incomingDir(dump);
      const existing = await readRecord<PageServerEndpoint>(endpointFile(dump));
      if (existing && (await daemonPid(rt, pidFile, imagesDir)) !== null) return existing;
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
        tls: dump.transport === 'criu-tls' ? tlsFiles() : undefined,
      });
      await writeRecord(endpointFile(dump), endpoint);
      return endpoint;
    },

    async preDump(dump): Promise<Round> {
      const injected = await faults.before('preDump');
      await heartbeating((signal) => settleEarlierAttempts(dump, signal));
      const done = await readRecord<Round>(roundFile(dump, dump.round));
      if (done) return done;
      const imagePath = layout.outgoingRound(dump.runKey, dump.round);
      const workPath = layout.work(dump.runKey, `round-${dump.round}`);
      await rt.remove(imagePath);
      await rt.mkdirp(imagePath);
      const started = Date.now();
      await heartbeating((signal) =>
        toPageServer(dump, (pageServer) =>
          runc.checkpoint(
            dump.container,
            { imagePath, workPath, preDump: true, pageServer, parentPath: parentPathOf(dump), criuEnv: injected.criuEnv, criuOptions: dumpOptions(dump) },
            { signal },
          ),
        ),
      );
      const stats = await dumpStats(workPath);
      const round: Round = {
        round: dump.round,
        pagesWritten: stats?.pagesWritten ?? 0,
        pagesSkipped: stats?.pagesSkippedParent ?? 0,
        seconds: (Date.now() - started) / 1000,
        bytes: (stats?.pagesWritten ?? 0) * PAGE_SIZE,
      };
      await writeRecord(roundFile(dump, dump.round), round);
      return round;
    },

    async checkpoint(run): Promise<CheckpointResult> {
      const injected = await faults.before('checkpoint');
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      const done = await readRecord<CheckpointResult>(dumpFile(run));
      if (done) return done;
      await rt.mkdirp(layout.workRoot(run.runKey));
      const status = await runc.status(run.container);
      if (status === 'running') {
        await runc.pause(run.container);
        await writeRecord(frozenFile(run), { frozenAt: Date.now() } satisfies FrozenRecord);
      } else if (status !== 'paused') {
        throw preconditionFailed(`container ${run.container} on host ${host.name} is ${status}; cannot checkpoint it`);
      }
      const frozen = await readRecord<FrozenRecord>(frozenFile(run));
      const frozenAt = frozen?.frozenAt ?? Date.now();
      const started = Date.now();
      const imagePath = layout.outgoingImages(run.runKey);
      await rt.remove(imagePath); // a half-written dump from a crashed attempt is worthless
      await rt.mkdirp(imagePath);
      const workPath = layout.work(run.runKey, 'dump');
      await heartbeating((signal) =>
        toPageServer(run, (pageServer) =>
          runc.checkpoint(
            run.container,
            { imagePath, workPath, pageServer, parentPath: parentPathOf(run), criuEnv: injected.criuEnv, criuOptions: dumpOptions(run) },
            { signal },
          ),
        ),
      );
      const stats = await dumpStats(workPath);
      const result: CheckpointResult = { frozenAt, seconds: (Date.now() - started) / 1000, pagesWritten: stats?.pagesWritten ?? 0 };
      await writeRecord(dumpFile(run), result);
      return result;
    },

    async postCopyDump(run): Promise<LazyDumpResult> {
      await faults.before('postCopyDump');
      const done = await readRecord<LazyDumpResult>(dumpFile(run));
      if (done) return done;
      const status = await runc.status(run.container);
      if (status !== 'running' && status !== 'paused') {
        throw preconditionFailed(`container ${run.container} on host ${host.name} is ${status}; cannot checkpoint it`);
      }
      const imagePath = layout.outgoingImages(run.runKey);
      const workPath = layout.work(run.runKey, 'dump');
      await rt.remove(imagePath);
      await rt.mkdirp(imagePath);
      await rt.mkdirp(workPath);
      const pageServer = { address: host.address, port: await rt.freePort(host.address) };
      const pidFile = postCopyDumpPidFile(run);
      const frozenAt = Date.now();
      await startDaemon(rt, {
        command: host.runc,
        args: runc.lazyCheckpointArgs(run.container, { imagePath, workPath, listen: pageServer }),
        pidFile,
        logFile: path.join(workPath, 'runc.out'),
        env: await runc.criuEnvironment(),
      });
      // CRIU runs its status-ready hook once the page server listens: the target may connect.
      await heartbeating((signal) =>
        until(async () => {
          if ((await readText(path.join(workPath, 'dump.log'))).includes('Running status-ready scripts')) return true;
          if ((await daemonPid(rt, pidFile, imagePath)) !== null) return false;
          const runcSays = (await readText(path.join(workPath, 'runc.out'))).trim().split('\n').slice(-2).join('\n');
          throw new Error(`post-copy dump of ${run.container} failed${runcSays ? `: ${runcSays}` : ''}${await runc.criuLogErrors(workPath, 'dump.log')}`);
        }, signal),
      );
      const result: LazyDumpResult = { frozenAt, seconds: (Date.now() - frozenAt) / 1000, pagesWritten: 0, pageServer };
      await writeRecord(dumpFile(run), result);
      return result;
    },

    async awaitPagesDrained(run) {
      const workPath = layout.work(run.runKey, 'dump');
      const started = Date.now();
      await heartbeating((signal) => until(async () => (await daemonPid(rt, postCopyDumpPidFile(run), layout.outgoingImages(run.runKey))) === null, signal));
      const log = await readText(path.join(workPath, 'dump.log'));
      if (/FAILED/.test(log)) {
        throw new Error(`post-copy page transfer of ${run.container} from host ${host.name} failed${await runc.criuLogErrors(workPath, 'dump.log')}`);
      }
      return { seconds: (Date.now() - started) / 1000 };
    },

    async startLazyPages(input) {
      await faults.before('startLazyPages');
      const pidFile = lazyPagesPidFile(input);
      const imagesDir = layout.incomingImages(input.runKey);
      const workDir = restoreWorkPath(input);
      const logFile = path.join(workDir, 'lazy-pages.log');
      // Like the dump, it runs its status-ready hook once its socket accepts restore's call.
      const ready = async () => (await readText(logFile)).includes('Running status-ready scripts');
      if ((await daemonPid(rt, pidFile, workDir)) !== null && (await ready())) return;
      await rt.mkdirp(workDir);
      await rt.remove(path.join(workDir, 'lazy-pages.socket'));
      await rt.remove(logFile);
      const args = criu.lazyPagesArgs({ imagesDir, workDir, source: input.pageServer });
      await startDaemon(rt, { command: criu.binary, args, pidFile, logFile: path.join(workDir, 'lazy-pages.out') });
      await heartbeating((signal) =>
        until(async () => {
          if (await ready()) return true;
          if ((await daemonPid(rt, pidFile, workDir)) !== null) return false;
          throw new Error(`CRIU lazy-pages daemon on host ${host.name} exited${await runc.criuLogErrors(workDir, 'lazy-pages.log')}`);
        }, signal),
      );
    },

    async pushImages(run): Promise<TransferResult> {
      await faults.before('pushImages');
      await stopEarlierCopies(run);
      const started = Date.now();
      const bytes = await heartbeating((signal) =>
        toReceiver(run, async (at) => {
          // Images first (restore needs them); the pages already sit on the target, so no --delete.
          const images = await rsync.push(layout.outgoingImages(run.runKey), { ...at, path: layout.relIncomingImages(run.runKey) }, { mirror: false }, { signal });
          // The container is frozen now, so this last pass catches every file it wrote.
          const rootfs = await rsync.push(layout.bundle(run.container), { ...at, path: layout.relBundle(run.container) }, { mirror: true }, { signal });
          return images + rootfs;
        }),
      );
      return { bytes, seconds: (Date.now() - started) / 1000 };
    },

    async restore(run): Promise<RestoreResult> {
      const lazyPages = run.lazyPages ?? false;
      const imagePath = layout.incomingImages(run.runKey);
      await faults.before('restore', { imagesDir: imagePath });
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      const done = await readRecord<RestoreResult>(restoredFile(run));
      if (done && (await runc.status(run.container)) === 'running') return done;
      const started = Date.now();
      const pageBytes = await incomingPageBytes(run);
      // The placed config.json was overwritten by the final rootfs sync: place it again.
      await placeBundle(rt, layout.bundle(run.container), run.container, { netnsPath: host.netnsPath, cgroupParent: host.cgroupParent });
      await heartbeating((signal) => restoreFromImages(run, imagePath, signal, lazyPages)).catch(async (err: Error) => {
        // Post-copy: the reason is often on the lazy-pages daemon's side of the socket.
        const lazy = lazyPages ? await runc.criuLogErrors(restoreWorkPath(run), 'lazy-pages.log') : '';
        throw lazy ? new Error(`${err.message}\nlazy-pages${lazy}`) : err;
      });
      const result: RestoreResult = { runningAt: Date.now(), seconds: (Date.now() - started) / 1000, pageBytes };
      await writeRecord(restoredFile(run), result);
      return result;
    },

    async verify(run) {
      await faults.before('verify');
      await heartbeating(async (signal) => {
        for (let i = 0; i < 2; i++) {
          const status = await runc.status(run.container, { signal });
          if (status !== 'running') throw new Error(`container ${run.container} on host ${host.name} is ${status} after restore`);
          // Twice, a moment apart: a process that dies right after restore is not a success.
          if (i === 0) await new Promise((r) => setTimeout(r, 200));
        }
        if (run.healthCheck) await runHealthCheck(run.container, run.healthCheck, signal);
      });
    },

    async commitSource(run) {
      await faults.before('commitSource');
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      await runc.destroy(run.container);
      await rt.remove(layout.bundle(run.container));
      await rt.remove(layout.outgoingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
    },

    async finishTarget(run) {
      await rt.remove(layout.stagedMarker(run.runKey));
      if (!run.keepImages) await rt.remove(layout.incomingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
      return { keptAt: run.keepImages ? layout.incomingRoot(run.runKey) : null };
    },

    async stopTargetContainer(run) {
      // Only a container this run restored: the marker proves the bundle came from it.
      if (!(await rt.exists(layout.stagedMarker(run.runKey)))) return;
      // A restore a killed worker left running would bring the copy back after we stopped it.
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      await runc.destroy(run.container);
    },

    async resumeSource(run) {
      // A dump a killed worker left running would freeze the container again after we resume it.
      await stopEarlierCopies(run);
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      // A post-copy dump still serving pages holds the container frozen: end it first.
      await stopDaemon(rt, postCopyDumpPidFile(run), layout.outgoingImages(run.runKey));
      const status = await runc.status(run.container);
      let action: 'resumed' | 'already-running' | 'restored-from-images';
      if (status === 'paused') {
        await runc.resume(run.container);
        action = 'resumed';
      } else if (status === 'running') {
        action = 'already-running';
      } else {
        // The original is gone (a dump without --leave-running, or a crash): a full local
        // dump is the last way back. A page-server dump has no local pages.
        const images = layout.outgoingImages(run.runKey);
        const files = (await rt.exists(images)) ? await rt.treeBytes(images) : 0;
        if (files === 0 || !(await rt.exists(path.join(images, 'pages-1.img')))) {
          throw new Error(`container ${run.container} is ${status} on host ${host.name} and no local images can bring it back`);
        }
        await restoreFromImages(run, images);
        action = 'restored-from-images';
      }
      log.info('source back', { container: run.container, action });
      await rt.remove(layout.outgoingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
      return { action };
    },

    async utilisation(): Promise<HostUsage> {
      const running = (await runc.list()).filter((c) => c.status === 'running');
      // CPU is a rate: two readings a second apart, of the containers and of the machine.
      const sample = async () => ({
        at: Date.now(),
        containers: await Promise.all(running.map((c) => cgroupCpuNanos(rt, c.pid))),
        machine: parseProcStat(await readText('/proc/stat')),
      });
      const first = await sample();
      await new Promise((r) => setTimeout(r, 1000));
      const second = await sample();
      const seconds = (second.at - first.at) / 1000;
      const containers = await Promise.all(
        running.map(async (c, i) => {
          const [before, after] = [first.containers[i], second.containers[i]];
          const cpuCores = before === null || after === null ? 0 : Math.max(0, after - before) / 1e9 / seconds;
          return { name: c.id, cpuCores, memoryBytes: await cgroupMemoryBytes(rt, c.pid), labels: c.annotations ?? {} };
        }),
      );
      if (host.capacity) {
        const sum = (pick: (c: (typeof containers)[number]) => number) => containers.reduce((total, c) => total + pick(c), 0);
        return { host: host.name, capacity: host.capacity, used: { cpuCores: sum((c) => c.cpuCores), memoryBytes: sum((c) => c.memoryBytes) }, containers };
      }
      const memory = parseMeminfo(await readText('/proc/meminfo'));
      const ticks = second.machine.total - first.machine.total;
      const busyShare = ticks > 0 ? (second.machine.busy - first.machine.busy) / ticks : 0;
      return {
        host: host.name,
        capacity: { cpuCores: second.machine.cpus, memoryBytes: memory.totalBytes },
        used: { cpuCores: busyShare * second.machine.cpus, memoryBytes: memory.totalBytes - memory.availableBytes },
        containers,
      };
    },

    async cleanupTarget(run) {
      await heartbeating((signal) => settleEarlierAttempts(run, signal));
      // Every page server this run started: one per pre-dump round, one for the final dump.
      // ... and the lazy-pages daemon of a post-copy run (its arguments name the page server too).
      const pidFiles = (await rt.fileSizes(layout.workRoot(run.runKey))).filter((f) => /^(page-server-.*|lazy-pages)\.pid$/.test(f.name));
      for (const file of pidFiles) {
        const pid = await daemonPid(rt, path.join(layout.workRoot(run.runKey), file.name), layout.workRoot(run.runKey));
        if (pid !== null) await rt.execute('kill', ['-KILL', String(pid)]);
      }
      if (await rt.exists(layout.stagedMarker(run.runKey))) {
        await runc.destroy(run.container);
        await rt.remove(layout.bundle(run.container));
      } else if ((await runc.state(run.container)) === null) {
        // A push that began before staging leaves a bundle with no marker and no container.
        await rt.remove(layout.bundle(run.container));
      }
      await rt.remove(layout.incomingRoot(run.runKey));
      await rt.remove(layout.workRoot(run.runKey));
    },
  };
}
