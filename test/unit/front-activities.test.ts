// The front's steps over a fake HAProxy admin socket (fake-haproxy.ts) on a MemoryRuntime:
// what they send and in which order, their refusals, and retries after a crash at each command.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createFrontActivities } from '../../activities/front-activities';
import { FrontConfig } from '../../policy/front';
import type { FrontActivities, FrontMoveInput } from '../../policy/front-contract';
import { AdminSocketDown, HaproxyAdmin, HaproxyRefused } from '../../runtime/haproxy-admin';
import { FakeHaproxy, type FakeServer } from './fake-haproxy';
import { frontConfigText } from '../../policy/front-config';
import { MemoryRuntime, SimulatedCrash, type Operation } from './memory-runtime';

const FRONT = FrontConfig.parse({
  name: 'edge',
  adminSocket: '/run/godwit-front/admin.sock',
  configFile: '/etc/godwit/front/haproxy.cfg',
  holdScript: '/etc/godwit/front/hold.lua',
  services: [{ name: 'web', mode: 'http', bind: { address: '192.0.2.1', port: 80 } }],
});
const SOURCE = { host: 'alpha', address: '10.0.0.5', port: 8080 };
const TARGET = { host: 'beta', address: '10.1.0.7', port: 8080 };
const MOVE: FrontMoveInput = { backend: 'web', source: SOURCE, target: TARGET, drainSeconds: 5 };
const quiet = new DefaultLogger('ERROR');

const serving = (sessions = 0): FakeServer => ({ ...SOURCE, admin: 'ready', sessions });

function setup(servers: FakeServer[] = [serving()]) {
  const rt = new MemoryRuntime();
  const haproxy = new FakeHaproxy(rt);
  haproxy.backend('web', servers);
  rt.put(FRONT.configFile, frontConfigText(FRONT, [{ backend: 'web', server: SOURCE }]));
  const steps = createFrontActivities(rt, FRONT);
  let heartbeats = 0;
  const run = <K extends keyof FrontActivities>(cancelAfterMs: number, step: K, input: FrontMoveInput = MOVE) => {
    rt.revive();
    const fn = steps[step] as (...args: unknown[]) => Promise<unknown>;
    const env = new MockActivityEnvironment({}, { logger: quiet });
    env.on('heartbeat', () => heartbeats++);
    const timer = Number.isFinite(cancelAfterMs) ? setTimeout(() => env.cancel(), cancelAfterMs) : undefined;
    return env.run<unknown[], unknown, typeof fn>(fn, input).finally(() => clearTimeout(timer)) as ReturnType<FrontActivities[K]>;
  };
  return {
    rt,
    haproxy,
    /** The server haproxy.cfg gives the service: where a restarted HAProxy would send it. */
    configured: () => /^ {4}server (\S+) (\S+)$/m.exec(rt.text(FRONT.configFile) ?? '')?.slice(1) ?? null,
    attempt: <K extends keyof FrontActivities>(step: K, input?: FrontMoveInput) => run(Infinity, step, input),
    attemptFor: <K extends keyof FrontActivities>(ms: number, step: K, input?: FrontMoveInput) => run(ms, step, input),
    heartbeats: () => heartbeats,
    /** The commands that changed something (reads left out). */
    changes: () => haproxy.received.filter((l) => !/^(show |godwit show )/.test(l)),
  };
}

/** A crash point: socat about to carry a command line starting with `line`. */
const sending = (line: string) => (op: Operation) => op.op === 'execute' && op.call.program === 'socat' && (op.call.input ?? '').includes(`; ${line}`);

describe('HaproxyAdmin', () => {
  it('runs socat with an argument array and the command on stdin, asking for numbered severities', async () => {
    const { rt } = setup();
    await new HaproxyAdmin(rt, { front: 'edge', socket: '/run/godwit-front/admin.sock', socat: '/usr/bin/socat' }).send(['show', 'info']);
    expect(rt.calls.map((c) => [c.program, c.args, c.input])).toEqual([['socat', ['-t', '10', 'stdio', 'UNIX-CONNECT:/run/godwit-front/admin.sock'], 'set severity-output number; show info\n']]);
  });

  it("turns HAProxy's refusal into an error with its text, and a socket nobody answers on into another", async () => {
    const { rt, haproxy } = setup();
    const admin = new HaproxyAdmin(rt, { front: 'edge', socket: '/run/godwit-front/admin.sock', socat: '/usr/bin/socat' });
    const refused = admin.send(['set', 'server', 'web/nope', 'state', 'ready']);
    await expect(refused).rejects.toThrow(new HaproxyRefused('edge', 'set server web/nope state ready', 'No such server.'));
    haproxy.up = false;
    await expect(admin.send(['show', 'info'])).rejects.toThrow(AdminSocketDown);
    await expect(admin.send(['show', 'info'])).rejects.toThrow(/^front edge does not answer on its admin socket \/run\/godwit-front\/admin\.sock: .*Connection refused$/);
    rt.on('socat', () => ({ code: 127, stderr: 'sh: 1: exec: /usr/bin/socat: not found\n' }));
    await expect(admin.send(['show', 'info'])).rejects.toThrow('/usr/bin/socat is not there');
  });

  it('refuses a socket path socat would read as more than a path, and a word that could add a command', async () => {
    const { rt } = setup();
    expect(() => new HaproxyAdmin(rt, { front: 'edge', socket: '/run/a,fork', socat: '/usr/bin/socat' })).toThrow(/not a plain absolute path/);
    const admin = new HaproxyAdmin(rt, { front: 'edge', socket: '/run/admin.sock', socat: '/usr/bin/socat' });
    await expect(admin.send(['del', 'server', 'web/alpha;', 'shutdown'])).rejects.toThrow(/refused admin-socket word/);
    expect(rt.calls).toEqual([]);
  });
});

describe('frontPreflight', () => {
  it('reports the version and the source sessions, and changes nothing', async () => {
    const { attempt, changes } = setup([serving(2)]);
    expect(await attempt('frontPreflight')).toEqual({ front: 'edge', version: '2.6.12-1+deb12u4', sourceSessions: 2 });
    expect(changes()).toEqual([]);
  });

  it.each<[string, (h: FakeHaproxy) => void, RegExp]>([
    ['the front is down', (h) => (h.up = false), /^front edge does not answer on its admin socket \/run\/godwit-front\/admin\.sock: .*Connection refused/],
    ['the hold script is not loaded', (h) => (h.holdLoaded = false), /^front edge: HAProxy has not loaded the hold script \(lua-load \/etc\/godwit\/front\/hold\.lua\)/],
    ['the backend has no source server', (h) => (h.backends.get('web')!.servers = []), /^front edge: backend web has no server alpha/],
    ['the source is in maint', (h) => (h.server('web', 'alpha')!.admin = 'maint'), /server alpha is in maint, not in service/],
    ['the source server is elsewhere', (h) => (h.server('web', 'alpha')!.address = '10.0.0.6'), /sends alpha's requests to 10\.0\.0\.6:8080, not to the source's 10\.0\.0\.5:8080/],
    ['the target already serves', (h) => h.backends.get('web')!.servers.push({ ...TARGET, admin: 'ready', sessions: 0 }), /already sends requests to beta/],
    ['the backend is held', (h) => (h.backends.get('web')!.held = true), /is holding its requests already/],
  ])('refuses when %s, naming the front (not retried)', async (_, arrange, message) => {
    const { attempt, haproxy } = setup();
    arrange(haproxy);
    await expect(attempt('frontPreflight')).rejects.toMatchObject({ type: 'PreconditionFailed', nonRetryable: true, message: expect.stringMatching(message) as unknown });
  });

  it('refuses a service the front does not have, and input that does not parse', async () => {
    const { attempt, rt } = setup();
    await expect(attempt('frontPreflight', { ...MOVE, backend: 'mail' })).rejects.toMatchObject({ type: 'PreconditionFailed', message: 'front edge has no service mail (it has web)' });
    await expect(attempt('frontPreflight', { ...MOVE, backend: 'web;shutdown' })).rejects.toMatchObject({ type: 'InvalidInput', message: expect.stringMatching(/^invalid front move: backend: a backend name/) as unknown });
    await expect(attempt('frontPreflight', { ...MOVE, target: SOURCE })).rejects.toMatchObject({ type: 'InvalidInput' });
    expect(rt.calls).toEqual([]);
  });
});

describe('drainSource', () => {
  it('holds the backend, then waits, heartbeating, until the source has nothing in flight', async () => {
    const { attempt, haproxy, changes, heartbeats } = setup([serving(3)]);
    let polls = 0;
    haproxy.onStats = () => {
      const source = haproxy.server('web', 'alpha')!;
      if (haproxy.backends.get('web')!.held && ++polls % 4 === 0 && source.sessions > 0) source.sessions--; // in-flight requests finishing
    };
    const drained = await attempt('drainSource');
    expect(drained.cut).toBe(0);
    expect(drained.waitedMs).toBeGreaterThanOrEqual(800);
    expect(changes()).toEqual(['godwit hold web on']);
    expect(heartbeats()).toBeGreaterThanOrEqual(1);
  });

  it('a retry finds the hold on and only waits', async () => {
    const { attempt, rt, changes } = setup();
    rt.crashBefore(sending('show stat')); // the worker died just after the hold
    await expect(attempt('drainSource')).rejects.toThrow(SimulatedCrash);
    await expect(attempt('drainSource')).resolves.toMatchObject({ cut: 0 });
    expect(changes()).toEqual(['godwit hold web on']);
  });

  it('cuts what is still in flight after drainSeconds', async () => {
    const { attempt, haproxy, changes } = setup([serving(2)]);
    expect(await attempt('drainSource', { ...MOVE, drainSeconds: 1 })).toMatchObject({ cut: 2 });
    expect(changes()).toEqual(['godwit hold web on', 'shutdown sessions server web/alpha']);
    expect(haproxy.server('web', 'alpha')!.sessions).toBe(0);
  });

  it('stops waiting when cancelled, leaving the hold for the rollback to lift', async () => {
    const { attemptFor, haproxy } = setup([serving(1)]);
    await expect(attemptFor(300, 'drainSource')).rejects.toThrow();
    expect(haproxy.backends.get('web')!.held).toBe(true);
    expect(haproxy.server('web', 'alpha')!.sessions).toBe(1);
  });
});

describe('switchToTarget', () => {
  it('puts the target in service and the source in maint before it lets the waiting requests go', async () => {
    const { attempt, haproxy, changes } = setup();
    await attempt('drainSource');
    haproxy.backends.get('web')!.entered = 40;
    expect(await attempt('switchToTarget')).toEqual({ released: 40, commands: 4 });
    expect(changes().slice(1)).toEqual(['add server web/beta 10.1.0.7:8080', 'set server web/beta state ready', 'set server web/alpha state maint', 'godwit hold web off']);
    expect(haproxy.backends.get('web')!.servers.map((s) => [s.host, s.admin])).toEqual([
      ['alpha', 'maint'],
      ['beta', 'ready'],
    ]);
    expect(await attempt('switchToTarget')).toEqual({ released: 40, commands: 0 });
  });

  it('rewrites haproxy.cfg to the target, so a restart of HAProxy keeps the move; a crash mid-write leaves the old file whole', async () => {
    const { attempt, rt, configured } = setup();
    expect(configured()).toEqual(['alpha', '10.0.0.5:8080']);
    await attempt('drainSource');
    expect(configured()).toEqual(['alpha', '10.0.0.5:8080']);
    rt.crashBefore((op) => op.op === 'rename');
    await expect(attempt('switchToTarget')).rejects.toThrow(SimulatedCrash);
    expect(configured()).toEqual(['alpha', '10.0.0.5:8080']);
    await attempt('switchToTarget');
    expect(configured()).toEqual(['beta', '10.1.0.7:8080']);
    expect(rt.text(FRONT.configFile)).toBe(frontConfigText(FRONT, [{ backend: 'web', server: TARGET }]));
  });

  it.each(['add server', 'set server web/beta state ready', 'set server web/alpha state maint', 'godwit hold web off'])('a crash before "%s" is continued by the retry, each command sent once', async (line) => {
    const { attempt, rt, haproxy, changes } = setup();
    await attempt('drainSource');
    rt.crashBefore(sending(line));
    await expect(attempt('switchToTarget')).rejects.toThrow(SimulatedCrash);
    await attempt('switchToTarget');
    expect(changes().slice(1)).toEqual(['add server web/beta 10.1.0.7:8080', 'set server web/beta state ready', 'set server web/alpha state maint', 'godwit hold web off']);
    expect(haproxy.backends.get('web')!.held).toBe(false);
  });
});

describe('restoreSource', () => {
  it('before the switch: lets the waiting requests go to the source', async () => {
    const { attempt, changes } = setup();
    await attempt('drainSource');
    expect(await attempt('restoreSource')).toMatchObject({ commands: 1 });
    expect(changes()).toEqual(['godwit hold web on', 'godwit hold web off']);
  });

  it("after the switch: the source back in service, the target in maint, its sessions cut and its server deleted (waiting for its last connections)", async () => {
    const { attempt, haproxy, changes } = setup();
    await attempt('drainSource');
    await attempt('switchToTarget');
    haproxy.server('web', 'beta')!.sessions = 2;
    haproxy.delRefusals = 2;
    expect(await attempt('restoreSource')).toMatchObject({ commands: 4 }); // the refused deletions are not counted
    expect(changes().slice(5)).toEqual(['set server web/alpha state ready', 'set server web/beta state maint', 'shutdown sessions server web/beta', 'del server web/beta', 'del server web/beta', 'del server web/beta']);
    expect(haproxy.backends.get('web')!.servers.map((s) => [s.host, s.admin])).toEqual([['alpha', 'ready']]);
    expect(await attempt('restoreSource')).toMatchObject({ commands: 0 });
  });

  it('writes the source back into haproxy.cfg', async () => {
    const { attempt, configured } = setup();
    await attempt('drainSource');
    await attempt('switchToTarget');
    expect(configured()).toEqual(['beta', '10.1.0.7:8080']);
    await attempt('restoreSource');
    expect(configured()).toEqual(['alpha', '10.0.0.5:8080']);
  });

  it.each(['set server web/alpha state ready', 'set server web/beta state maint', 'del server'])('a crash before "%s" is continued by the retry', async (line) => {
    const { attempt, rt, haproxy } = setup();
    await attempt('drainSource');
    await attempt('switchToTarget');
    rt.crashBefore(sending(line));
    await expect(attempt('restoreSource')).rejects.toThrow(SimulatedCrash);
    await attempt('restoreSource');
    expect(haproxy.backends.get('web')!.servers.map((s) => [s.host, s.admin])).toEqual([['alpha', 'ready']]);
    expect(haproxy.backends.get('web')!.held).toBe(false);
  });
});

describe('retireSource', () => {
  it("deletes the source's server after the switch, once", async () => {
    const { attempt, haproxy, changes } = setup();
    await attempt('drainSource');
    await attempt('switchToTarget');
    await attempt('retireSource');
    await attempt('retireSource');
    expect(changes().filter((l) => l.startsWith('del '))).toEqual(['del server web/alpha']);
    expect(haproxy.backends.get('web')!.servers.map((s) => s.host)).toEqual(['beta']);
  });

  it('refuses while the source is still in service', async () => {
    const { attempt } = setup();
    await expect(attempt('retireSource')).rejects.toMatchObject({ type: 'PreconditionFailed', message: 'front edge: backend web still sends requests to alpha (ready): switch to the target first' });
  });
});
