// `godwit lab up --front`: the lab's front, an HAProxy named "edge" on the lab's gateway
// address (clients in the root namespace reach services there), with a worker of its own on
// its task queue. A container run behind it (`godwit lab run ... --network host --front`) gets
// a service at the gateway's address and the container's port; the inventory names the front,
// so a migration of it holds and switches the front (workflows/front.ts). Services are added
// between migrations, by rewriting haproxy.cfg and starting HAProxy again; during a migration
// only the runtime API changes it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FrontConfig, type FrontService } from '../../policy/front';
import { frontConfigText, haproxyArgs, holdScriptText } from '../../policy/front-config';
import { spawnDaemon } from '../../runtime/exec';
import { HaproxyAdmin } from '../../runtime/haproxy-admin';
import { LocalRuntime } from '../../runtime/local';
import { processAlive, stopProcess, waitFor } from './processes';
import { labDir, type LabFrontState } from './state';
import { tools } from './tools';

export const LAB_FRONT = 'edge';


const frontDir = () => path.join(labDir(), 'front');
export const frontFile = () => path.join(frontDir(), 'front.json');

export function labFrontConfig(front: LabFrontState, gateway: string): FrontConfig {
  const dir = frontDir();
  return FrontConfig.parse({
    name: LAB_FRONT,
    adminSocket: path.join(dir, 'admin.sock'),
    configFile: path.join(dir, 'haproxy.cfg'),
    holdScript: path.join(dir, 'hold.lua'),
    services: front.services.map((s) => ({ name: s.backend, mode: s.mode, bind: { address: gateway, port: s.port } })),
  });
}

/** The inventory's entries for the containers behind the lab's front. */
export const frontedServices = (front: LabFrontState | undefined) => (front?.services ?? []).map((s) => ({ container: s.container, front: LAB_FRONT, backend: s.backend, port: s.port }));

/**
 * Writes the front's files and (re)starts what is not running: HAProxy with `current` as each
 * service's server, and the front's worker. `restart`: HAProxy again even if it runs (its
 * services changed).
 */
export async function ensureFront(front: LabFrontState, opts: { gateway: string; current: readonly FrontService[]; build: string; temporalAddress: string; restart: boolean; dist: string }): Promise<void> {
  if (!existsSync('/usr/sbin/haproxy') || !existsSync('/usr/bin/socat')) throw new Error('haproxy or socat is missing: run infra/bootstrap.sh');
  const config = labFrontConfig(front, opts.gateway);
  mkdirSync(frontDir(), { recursive: true });
  writeFileSync(frontFile(), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(config.holdScript, holdScriptText(config));
  if (opts.restart || !processAlive(front.haproxyPid, config.configFile)) {
    await stopProcess(front.haproxyPid, config.configFile);
    writeFileSync(config.configFile, frontConfigText(config, opts.current));
    front.haproxyPid = spawnDaemon(config.haproxy, haproxyArgs(config), { logFile: path.join(frontDir(), 'haproxy.log') });
    const admin = new HaproxyAdmin(new LocalRuntime(), { front: config.name, socket: config.adminSocket, socat: config.socat });
    await waitFor(`HAProxy of front ${LAB_FRONT} (log: ${path.join(frontDir(), 'haproxy.log')})`, () => admin.send(['show', 'info']).then(() => true, () => false), 20_000);
  }
  // Its worker reads the front's file at start: new services, new worker.
  if (opts.restart || front.build !== opts.build) await stopProcess(front.workerPid, frontFile());
  if (!processAlive(front.workerPid, frontFile())) {
    front.build = opts.build;
    front.workerPid = spawnDaemon(tools().node, [path.join(opts.dist, 'workers', 'front-worker.js'), '--config', frontFile()], {
      logFile: path.join(frontDir(), 'worker.log'),
      env: { ...process.env, TEMPORAL_ADDRESS: opts.temporalAddress },
    });
  }
}

export async function stopFront(front: LabFrontState | undefined): Promise<void> {
  if (!front) return;
  await stopProcess(front.workerPid, frontFile());
  await stopProcess(front.haproxyPid, path.join(frontDir(), 'haproxy.cfg'));
}
