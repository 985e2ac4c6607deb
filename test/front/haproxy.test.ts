// The front's activities against a real HAProxy (Debian 12's 2.6) on 127.0.0.1, with two
// Node HTTP servers standing for a service's container on its source and on its target. Not in
// any jest project (it needs haproxy and socat installed); run it on its own:
//   npx jest --config '{"preset":"ts-jest","testEnvironment":"node"}' test/front/haproxy.test.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createFrontActivities } from '../../activities/front-activities';
import { FrontConfig, type FrontServer } from '../../policy/front';
import { frontConfigText, haproxyArgs, holdScriptText } from '../../policy/front-config';
import { serverOf, setServerState, showInfo } from '../../policy/front-commands';
import type { FrontActivities, FrontMoveInput } from '../../policy/front-contract';
import { HaproxyAdmin } from '../../runtime/haproxy-admin';
import { LocalRuntime } from '../../runtime/local';
import { readBackend, createFrontContext } from '../../activities/front/context';
import { Backend, failed, Load, request, type Outcome } from './backends';

const HAPROXY = '/usr/sbin/haproxy';
const SOCAT = '/usr/bin/socat';
const quiet = new DefaultLogger('ERROR');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let dir: string;
let front: FrontConfig;
let haproxy: ChildProcess;
let haproxyLog = '';
let steps: FrontActivities;
let alpha: Backend;
let beta: Backend;
const webPort = { value: 0 };
const rawPort = { value: 0 };

const on = (host: string, backend: Backend): FrontServer => ({ host, address: '127.0.0.1', port: backend.port });
const attempt = <K extends keyof FrontActivities>(step: K, input: FrontMoveInput): ReturnType<FrontActivities[K]> => {
  const fn = steps[step] as (...args: unknown[]) => Promise<unknown>;
  return new MockActivityEnvironment({}, { logger: quiet }).run<unknown[], unknown, typeof fn>(fn, input) as ReturnType<FrontActivities[K]>;
};
const admin = () => new HaproxyAdmin(new LocalRuntime(), { front: front.name, socket: front.adminSocket, socat: SOCAT });
const state = (backend: string) => readBackend(createFrontContext(new LocalRuntime(), front), backend);
const servedBy = (outcomes: Outcome[], name: string) => outcomes.filter((o) => o.body === name).length;

beforeAll(async () => {
  for (const program of [HAPROXY, SOCAT]) if (!existsSync(program)) throw new Error(`${program} is missing: apt-get install -y --no-install-recommends haproxy socat`);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'godwit-front-'));
  alpha = await Backend.start('alpha');
  beta = await Backend.start('beta');
  webPort.value = await freePort();
  rawPort.value = await freePort();
  front = FrontConfig.parse({
    name: 'edge',
    adminSocket: path.join(dir, 'admin.sock'),
    configFile: path.join(dir, 'haproxy.cfg'),
    holdScript: path.join(dir, 'hold.lua'),
    socat: SOCAT,
    haproxy: HAPROXY,
    holdSeconds: 20,
    services: [
      { name: 'web', mode: 'http', bind: { address: '127.0.0.1', port: webPort.value } },
      { name: 'raw', mode: 'tcp', bind: { address: '127.0.0.1', port: rawPort.value } },
    ],
  });
  await fs.writeFile(front.configFile, frontConfigText(front, [{ backend: 'web', server: on('alpha', alpha) }, { backend: 'raw', server: on('alpha', alpha) }]));
  await fs.writeFile(front.holdScript, holdScriptText(front));
  await startHaproxy();
  steps = createFrontActivities(new LocalRuntime(), front);
}, 30_000);

/** HAProxy from the front's files, as its service manager would start it; ready once its admin socket answers. */
async function startHaproxy(): Promise<void> {
  haproxy = spawn(front.haproxy, haproxyArgs(front), { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout?.on('data', (d: Buffer) => (haproxyLog += d.toString()));
  haproxy.stderr?.on('data', (d: Buffer) => (haproxyLog += d.toString()));
  for (let i = 0; ; i++) {
    try {
      await admin().send(showInfo());
      return;
    } catch (err) {
      if (i > 50) throw new Error(`haproxy did not come up: ${(err as Error).message}\n${haproxyLog}`);
      await sleep(100);
    }
  }
}

async function stopHaproxy(): Promise<void> {
  if (haproxy && haproxy.exitCode === null) {
    const exited = new Promise((r) => haproxy.once('exit', r));
    haproxy.kill('SIGTERM');
    await exited;
  }
}

afterAll(async () => {
  await stopHaproxy();
  await Promise.all([alpha?.close(), beta?.close()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  alpha.frozen = false;
  beta.frozen = false;
  expect(haproxy.exitCode).toBeNull(); // HAProxy itself never died
});

describe('HAProxy 2.6 front, real', () => {
  it('without the hold, a backend with no server in service answers 503 at once (why the hold is there)', async () => {
    await admin().send(setServerState('web', 'alpha', 'maint'));
    try {
      const outcome = await request(webPort.value, '/', false);
      expect(outcome.status).toBe(503);
      expect(outcome.doneAt - outcome.sentAt).toBeLessThan(500);
    } finally {
      await admin().send(setServerState('web', 'alpha', 'ready'));
    }
  });

  it('a move: new requests wait in the front while in-flight ones finish, then go to the target; none fails', async () => {
    const move: FrontMoveInput = { backend: 'web', source: on('alpha', alpha), target: on('beta', beta), drainSeconds: 10 };
    expect(await attempt('frontPreflight', move)).toMatchObject({ front: 'edge', version: expect.stringMatching(/^2\.6\./) as unknown, sourceSessions: 0 });
    const load = new Load(webPort.value);
    const keptAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect(await request(webPort.value, '/', keptAlive)).toMatchObject({ status: 200, body: 'alpha' });
    await sleep(300);
    const inFlight = request(webPort.value, '/?ms=1500', false);
    await sleep(100);

    const drainStarted = Date.now();
    const drained = await attempt('drainSource', move);
    const drainEnded = Date.now();
    // The drain returned once the slow request was answered, by the source.
    expect(drained.cut).toBe(0);
    expect(drained.waitedMs).toBeGreaterThan(1000);
    expect(await inFlight).toMatchObject({ status: 200, body: 'alpha' });

    alpha.frozen = true; // the freeze, dump and restore: nothing may reach the source now
    const onKeptConnection = request(webPort.value, '/', keptAlive);
    await sleep(1500);
    const switchAt = Date.now();
    const switched = await attempt('switchToTarget', move);
    expect(switched.released).toBeGreaterThan(50);
    await sleep(300);
    const outcomes = await load.stop();

    expect(failed(outcomes)).toEqual([]);
    expect(alpha.reachedWhileFrozen).toBe(0);
    const heldOnes = outcomes.filter((o) => o.sentAt > drainEnded + 50 && o.sentAt < switchAt - 50);
    expect(heldOnes.length).toBeGreaterThan(50);
    // Each waited until the switch, and was answered by the target.
    for (const o of heldOnes) {
      expect(o.body).toBe('beta');
      expect(o.doneAt).toBeGreaterThanOrEqual(switchAt);
    }
    // A connection kept alive from before the drain: its next request waited as well.
    expect(await onKeptConnection).toMatchObject({ status: 200, body: 'beta', reused: true });
    keptAlive.destroy();
    expect(servedBy(outcomes.filter((o) => o.sentAt < drainStarted), 'alpha')).toBeGreaterThan(5);
    // From just after the hold began (the drain's first reads and the hold command take a few ms), all went to the target.
    expect(outcomes.filter((o) => o.sentAt > drainStarted + 200).every((o) => o.body === 'beta')).toBe(true);

    // A retried switch finds it done; the commit retires the source's server.
    expect(await attempt('switchToTarget', move)).toEqual({ released: switched.released, commands: 0 });
    await attempt('retireSource', move);
    expect((await state('web')).servers.map((s) => [s.host, s.admin])).toEqual([['beta', 'ready']]);
  }, 60_000);

  it('a rollback after the switch puts the source back in service and removes the target; none fails', async () => {
    // The container is on beta now; it moves to alpha, and the move rolls back after the switch.
    const move: FrontMoveInput = { backend: 'web', source: on('beta', beta), target: on('alpha', alpha) };
    await attempt('frontPreflight', move);
    const load = new Load(webPort.value);
    await sleep(200);
    await attempt('drainSource', move);
    await sleep(500);
    await attempt('switchToTarget', move);
    await sleep(300);
    const restored = await attempt('restoreSource', move);
    const rollbackAt = Date.now();
    expect(restored.commands).toBeGreaterThanOrEqual(3); // source ready, target maint, target deleted
    await sleep(300);
    const outcomes = await load.stop();

    expect(failed(outcomes)).toEqual([]);
    expect(servedBy(outcomes, 'alpha')).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.sentAt > rollbackAt).every((o) => o.body === 'beta')).toBe(true);
    const after = await state('web');
    expect(after.servers.map((s) => [s.host, s.admin])).toEqual([['beta', 'ready']]);
    expect(after.hold.held).toBe(false);
    expect(await attempt('restoreSource', move)).toMatchObject({ commands: 0 });
  }, 60_000);

  it('a rollback before the switch lets the waiting requests go to the source; none fails', async () => {
    const move: FrontMoveInput = { backend: 'web', source: on('beta', beta), target: on('alpha', alpha) };
    const load = new Load(webPort.value);
    await sleep(200);
    await attempt('drainSource', move);
    await sleep(800);
    const restored = await attempt('restoreSource', move);
    expect(restored.released).toBeGreaterThan(20);
    await sleep(200);
    const outcomes = await load.stop();
    expect(failed(outcomes)).toEqual([]);
    expect(servedBy(outcomes, 'beta')).toBe(outcomes.length);
  }, 60_000);

  it('tcp: new connections wait, one still open after drainSeconds is cut, the waiting ones go to the target', async () => {
    const move: FrontMoveInput = { backend: 'raw', source: on('alpha', alpha), target: on('beta', beta), drainSeconds: 1 };
    await attempt('frontPreflight', move);
    const open = request(rawPort.value, '/?ms=5000', false); // a connection that outlasts the drain
    await sleep(200);
    const drained = await attempt('drainSource', move);
    expect(drained).toMatchObject({ cut: 1 });
    expect((await open).status).toBeNull(); // cut: it could not have followed the container
    alpha.frozen = true;
    const waiting = [request(rawPort.value, '/', false), request(rawPort.value, '/', false)];
    await sleep(700);
    const switchAt = Date.now();
    expect(await attempt('switchToTarget', move)).toMatchObject({ released: 2 });
    const answered = await Promise.all(waiting);
    expect(answered.map((o) => [o.status, o.body])).toEqual([
      [200, 'beta'],
      [200, 'beta'],
    ]);
    expect(answered.every((o) => o.doneAt >= switchAt)).toBe(true);
    expect(alpha.reachedWhileFrozen).toBe(0);
    expect(serverOf(await state('raw'), 'alpha')?.admin).toBe('maint');
  }, 60_000);

  it('restarted from its file, HAProxy sends each service where the last move left it', async () => {
    // Both services moved to beta above (web there and back again, raw once), on the admin socket only.
    expect((await state('web')).servers.map((s) => [s.host, s.admin])).toEqual([['beta', 'ready']]);
    await stopHaproxy();
    await startHaproxy();
    expect((await state('web')).servers.map((s) => s.host)).toEqual(['beta']);
    expect((await state('raw')).servers.map((s) => s.host)).toEqual(['beta']);
    expect(await request(webPort.value, '/', false)).toMatchObject({ status: 200, body: 'beta' });
    expect(await request(rawPort.value, '/', false)).toMatchObject({ status: 200, body: 'beta' });
  }, 30_000);

  it('a front that is down is named in the preflight refusal', async () => {
    const down = createFrontActivities(new LocalRuntime(), { ...front, adminSocket: path.join(dir, 'nothing-here.sock') });
    const move: FrontMoveInput = { backend: 'web', source: on('beta', beta), target: on('alpha', alpha) };
    await expect(new MockActivityEnvironment({}, { logger: quiet }).run((input: FrontMoveInput) => down.frontPreflight(input), move)).rejects.toThrow(/^front edge does not answer on its admin socket .*nothing-here\.sock: .*No such file or directory/);
  });
});
