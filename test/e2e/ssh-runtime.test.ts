// The SSH host runtime against a real OpenSSH server (Debian's sshd on loopback): commands
// arrive with every argument intact, files and processes are seen as on the host, a cancelled
// command stops on the host, and a host key other than the pinned one is refused.
import { mkdtempSync, rmSync } from 'node:fs';
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
