// The SSH host runtime against a real OpenSSH server (Debian's sshd on loopback): commands
// arrive with every argument intact, through one remote executor (or a channel each on a host
// without perl), files and processes are seen as on the host, a cancelled command stops on the
// host, a dropped connection settles its commands, and a host key other than the pinned one is
// refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { execute } from '../../runtime/exec';
import { LocalRuntime } from '../../runtime/local';
import { openTunnel } from '../../runtime/tunnel';
import type { HostRuntime } from '../../runtime/host-runtime';
import { HostKeyRejected, SshRuntime, type SshEndpoint } from '../../runtime/ssh';
import { startSshd, type SshdInstance } from '../../infra/lab/sshd';
import { stopProcess } from '../../infra/lab/processes';

jest.setTimeout(60_000);

let sshd: SshdInstance;
let dir: string;
let endpoint: SshEndpoint;
let rt: SshRuntime;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'godwit-sshd-'));
  sshd = await startSshd({ dir, address: '127.0.0.1', port: await freePort() });
  endpoint = { host: 'loopback', address: sshd.address, port: sshd.port, user: 'root', identityFile: sshd.identityFile, hostKeyFingerprint: sshd.hostKeyFingerprint };
  rt = new SshRuntime(endpoint);
});

afterAll(async () => {
  await rt?.close();
  await stopProcess(sshd?.pid ?? null, 'sshd');
  rmSync(dir, { recursive: true, force: true });
});

describe('a host reached over SSH', () => {
  it('passes every argument to the program exactly, whatever a shell would make of it', async () => {
    const args = [`it's`, 'a b', '$(touch /tmp/godwit-pwned)', '`id`', '; rm -rf /', '"', '\\', '*', 'é 漢', ''];
    const result = await rt.executeOk('printf', ['%s\\0', ...args]);
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    expect(result.stderr).toBe(''); // the launcher's own line is not the program's output
    expect((await execute('test', ['-e', '/tmp/godwit-pwned'])).code).not.toBe(0);
  });

  it('reports exit codes and stderr, runs in the directory asked, and carries added environment', async () => {
    const failed = await rt.execute('sh', ['-c', 'echo oops >&2; exit 3']);
    expect([failed.code, failed.stderr]).toEqual([3, 'oops\n']);
    expect((await rt.executeOk('pwd', [], { cwd: '/tmp' })).stdout).toBe('/tmp\n');
    const env = await rt.executeOk('sh', ['-c', 'echo "$CRIU_CONFIG_FILE"'], { env: { ...process.env, CRIU_CONFIG_FILE: '/x/criu.conf' } });
    expect(env.stdout).toBe('/x/criu.conf\n');
  });

  it('reads, writes, lists and removes files as the host has them', async () => {
    const base = path.join(dir, 'files');
    await rt.mkdirp(path.join(base, 'sub'));
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13]);
    await rt.writeFile(path.join(base, 'blob'), bytes);
    expect(await rt.readFile(path.join(base, 'blob'))).toEqual(bytes);
    await rt.writeFile(path.join(base, 'sub', 'a b'), 'hello');
    await rt.symlink('blob', path.join(base, 'link'));
    expect(await rt.exists(path.join(base, 'link'))).toBe(true);
    expect((await rt.fileSizes(base)).sort((a, b) => a.name.localeCompare(b.name))).toEqual([{ name: 'blob', size: 6 }]);
    expect(await rt.treeBytes(base)).toBe(11);
    expect(await rt.freeBytes(base)).toBeGreaterThan(0);
    await rt.remove(base);
    expect(await rt.exists(base)).toBe(false);
    expect(await rt.treeBytes(base)).toBe(0);
  });

  it('sees the host’s processes with their arguments', async () => {
    const length = `${process.pid % 1000}.25`; // an unusual sleep length marks our process
    const abort = new AbortController();
    const running = rt.execute('sleep', [length], { signal: abort.signal });
    let found = false;
    for (let i = 0; i < 50 && !found; i++) {
      found = (await rt.processes()).some((p) => p.argv.length === 2 && p.argv[0] === 'sleep' && p.argv[1] === length);
      if (!found) await new Promise((r) => setTimeout(r, 100));
    }
    abort.abort();
    await running;
    expect(found).toBe(true);
  });

  it('stops a cancelled command on the host, not just the channel', async () => {
    const marker = `${Date.now() % 100000}.5`; // an unusual sleep length marks our process
    const abort = new AbortController();
    const started = Date.now();
    const running = rt.execute('sleep', [marker], { signal: abort.signal, killGraceMs: 2000 });
    await new Promise((r) => setTimeout(r, 700));
    expect((await execute('pgrep', ['-f', `sleep ${marker}`])).stdout).not.toBe('');
    abort.abort();
    const result = await running;
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).not.toBe(0);
    expect((await execute('pgrep', ['-f', `sleep ${marker}`])).stdout).toBe('');
  });

  /** The parent of a command run on `on`: the remote executor, when there is one. */
  async function parentOf(on: SshRuntime): Promise<{ pid: number; argv0: string }> {
    const pid = Number((await on.executeOk('sh', ['-c', 'echo $PPID'])).stdout.trim());
    return { pid, argv0: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] };
  }

  it('runs every command through one remote executor, and kills a cancelled one through it', async () => {
    const executor = await parentOf(rt);
    expect(executor.argv0).toBe('perl');
    expect((await parentOf(rt)).pid).toBe(executor.pid);
    const marker = `${(Date.now() % 100000) + 1}.75`;
    const abort = new AbortController();
    const running = rt.execute('sleep', [marker], { signal: abort.signal });
    let pid = '';
    for (let i = 0; i < 50 && !pid; i++) {
      pid = (await execute('pgrep', ['-x', '-f', `sleep ${marker}`])).stdout.trim();
      if (!pid) await new Promise((r) => setTimeout(r, 100));
    }
    expect(Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1])).toBe(executor.pid);
    abort.abort();
    expect((await running).signal).toBe('SIGTERM');
    expect((await execute('pgrep', ['-x', '-f', `sleep ${marker}`])).stdout).toBe('');
  });

  it('settles a command whose connection drops, then runs the next through a new connection and executor', async () => {
    const dropping = new SshRuntime({ ...endpoint, host: 'dropping' });
    try {
      const executor = await parentOf(dropping);
      // The connection's own sshd: the listener's child above the executor.
      let connection = executor.pid;
      for (;;) {
        const parent = Number(readFileSync(`/proc/${connection}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
        if (parent === sshd.pid || parent <= 1) break;
        connection = parent;
      }
      const marker = `${(Date.now() % 100000) + 2}.25`;
      const running = dropping.execute('sleep', [marker]);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(connection, 'SIGKILL');
      const result = await running;
      expect([result.code, result.signal]).toEqual([null, null]);
      expect(result.stderr).toMatch(/^godwit: the executor on host dropping (ended|went away) before sleep finished\n$/);
      // Left running on the host, as a dropped channel leaves a command: a retry finds it.
      expect((await execute('pgrep', ['-x', '-f', `sleep ${marker}`])).stdout).not.toBe('');
      await execute('pkill', ['-x', '-f', `sleep ${marker}`]);
      const next = await parentOf(dropping);
      expect(next.argv0).toBe('perl');
      expect(next.pid).not.toBe(executor.pid);
    } finally {
      await dropping.close();
    }
  });

  it('runs each command in its own channel, as before, on a host without perl (and says so once)', async () => {
    const said = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const noPerl = new SshRuntime({ ...endpoint, host: 'no-perl' }, { perl: 'godwit-no-such-perl' });
    try {
      const args = [`it's`, 'a b', '$(touch /tmp/godwit-pwned)', '', 'é 漢'];
      const result = await noPerl.executeOk('printf', ['%s\\0', ...args]);
      expect([result.stdout.split('\0').slice(0, -1), result.stderr]).toEqual([args, '']);
      expect((await noPerl.execute('sh', ['-c', 'echo oops >&2; exit 3'])).code).toBe(3);
      expect((await parentOf(noPerl)).argv0).not.toBe('perl');
      expect(said).toHaveBeenCalledTimes(1);
      expect(String(said.mock.calls[0][0])).toMatch(/^godwit: host no-perl: running each command in its own SSH channel \(slower\): the remote executor did not start on host no-perl: godwit-no-such-perl -e: .*not found.*exited with 127$/s);
    } finally {
      said.mockRestore();
      await noPerl.close();
    }
  });

  it('finds a port nothing listens on, for a page server', async () => {
    const port = await rt.freePort('127.0.0.1');
    expect(port).not.toBe(sshd.port);
    // Free indeed: this machine is the host, so we can take it ourselves.
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  });

  it('refuses a host whose key is not the pinned one, naming both fingerprints, running nothing', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const impostor = new SshRuntime({ ...endpoint, host: 'beta', hostKeyFingerprint: wrong });
    const err = await impostor.execute('touch', ['/tmp/godwit-should-not-exist']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyRejected);
    expect((err as Error).message).toBe(
      `host beta presented SSH host key ${sshd.hostKeyFingerprint}, but ${wrong} is pinned for it: refusing to connect (if the host was re-keyed, pin the new fingerprint)`,
    );
    expect((await execute('test', ['-e', '/tmp/godwit-should-not-exist'])).code).not.toBe(0);
    await impostor.close();
  });

  describe('tunnels TCP through SSH', () => {
    /** The far end: hashes what it receives and answers with the hash once the sender is done. */
    async function hashingServer(): Promise<{ port: number; close: () => void }> {
      const server = net.createServer((socket) => {
        const hash = createHash('sha256');
        socket.on('data', (chunk) => hash.update(chunk));
        socket.on('end', () => socket.end(hash.digest('hex')));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
    }

    /** Sends `data` to 127.0.0.1:port, half-closes, and returns the answer. */
    function exchange(port: number, data: Buffer): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(data));
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    }

    it.each<[string, () => HostRuntime]>([
      ['from a host reached over SSH (remote forward)', () => rt],
      ['from the worker’s own host', () => new LocalRuntime()],
    ])('carries a stream both ways with half-close, %s', async (_name, near) => {
      const destination = await hashingServer();
      const far = new SshRuntime({ ...endpoint, host: 'far' });
      const tunnel = await openTunnel(near(), far, { address: '127.0.0.1', port: destination.port });
      try {
        expect(tunnel.port).not.toBe(destination.port);
        const data = randomBytes(4 * 1024 * 1024);
        const answers = await Promise.all([exchange(tunnel.port, data), exchange(tunnel.port, data.subarray(0, 1000))]);
        expect(answers).toEqual([createHash('sha256').update(data).digest('hex'), createHash('sha256').update(data.subarray(0, 1000)).digest('hex')]);
        expect(tunnel.bytesForward()).toBe(data.length + 1000);
        expect(tunnel.failure()).toBeNull();
      } finally {
        await tunnel.close();
        await far.close();
        destination.close();
      }
      // Closed: nothing listens at the near end any more.
      await expect(exchange(tunnel.port, Buffer.from('x'))).rejects.toThrow(/ECONNREFUSED/);
    });

    it('says why when the far host cannot reach the destination', async () => {
      const far = new SshRuntime({ ...endpoint, host: 'far' });
      const closedPort = await freePort();
      const tunnel = await openTunnel(rt, far, { address: '127.0.0.1', port: closedPort });
      try {
        expect(await exchange(tunnel.port, Buffer.from('pages'))).toBe('');
        expect(tunnel.failure()?.message).toContain(`host far could not open 127.0.0.1:${closedPort} for us over SSH`);
      } finally {
        await tunnel.close();
        await far.close();
      }
    });
  });
});
