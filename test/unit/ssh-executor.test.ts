// The remote executor's Perl program run here, on pipes, with the same frames as over SSH:
// arguments arrive exactly, exit codes, signals, stdin, cwd and environment are those asked
// for, commands run side by side and can be killed, and the executor leaves them alone when
// the worker goes away.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { addedEnvironment } from '../../runtime/added-environment';
import { EXECUTOR_PROGRAM, EXECUTOR_VERSION } from '../../runtime/executor-program';
import { encodeRequest, FRAMES_FOLLOW, ReplyReader } from '../../runtime/executor-protocol';
import { RemoteExecutor } from '../../runtime/remote-executor';

jest.setTimeout(30_000);

let perl: ChildProcessByStdio<Writable, Readable, Readable>;
let executor: RemoteExecutor;
let dir: string;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'godwit-executor-'));
  perl = spawn('perl', ['-e', EXECUTOR_PROGRAM], { stdio: ['pipe', 'pipe', 'pipe'] });
  executor = new RemoteExecutor({ requests: perl.stdin, replies: perl.stdout }, 'this host');
  expect(await executor.hello).toBe(perl.pid);
});

afterEach(async () => {
  const gone = perl.exitCode !== null || perl.signalCode !== null ? Promise.resolve() : new Promise((r) => perl.once('exit', r));
  executor.close();
  await gone;
  rmSync(dir, { recursive: true, force: true });
});

describe('the remote executor', () => {
  it('passes every argument, argv[0] included, exactly as given', async () => {
    const args = [`it's`, 'a b', ' lead and trail ', '"', '\\', '$(touch pwned)', '`id`', '; rm -rf /', '*', 'line\nbreak', '', 'é 漢 🦆', '-', '--'];
    const result = await executor.execute('sh', ['-c', `printf '%s\\0' "$0" "$@"`, ...args], { cwd: dir });
    expect(result).toEqual({ code: 0, signal: null, stdout: `${args.join('\0')}\0`, stderr: '' });
    expect((await executor.execute('test', ['-e', path.join(dir, 'pwned')])).code).toBe(1);
  });

  it('reports exit codes and signals', async () => {
    expect((await executor.execute('sh', ['-c', 'exit 3'])).code).toBe(3);
    expect((await executor.execute('true', [])).code).toBe(0);
    expect(await executor.execute('sh', ['-c', 'kill -KILL $$'])).toEqual({ code: null, signal: 'SIGKILL', stdout: '', stderr: '' });
  });

  it('writes the input to stdin and closes it; without input stdin is /dev/null', async () => {
    expect((await executor.execute('cat', [], { input: 'hello\nwörld' })).stdout).toBe('hello\nwörld');
    expect((await executor.execute('wc', ['-c'], { input: '' })).stdout.trim()).toBe('0');
    expect((await executor.execute('readlink', ['/proc/self/fd/0'])).stdout).toBe('/dev/null\n');
    // More than a pipe holds, to a program that reads it all only at the end.
    const big = randomBytes(3 * 1024 * 1024).toString('hex');
    const sum = await executor.execute('sha256sum', [], { input: big });
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('runs in the directory asked, and says so when it cannot', async () => {
    expect((await executor.execute('pwd', [], { cwd: dir })).stdout).toBe(`${dir}\n`);
    const missing = await executor.execute('pwd', [], { cwd: path.join(dir, 'nowhere') });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/^godwit: cannot enter .*nowhere: No such file or directory\n$/);
  });

  it('adds to the environment only what differs from ours', async () => {
    const env = { ...process.env, GODWIT_TEST_VALUE: 'a b $(x) é\nz' };
    expect((await executor.execute('sh', ['-c', 'printf %s "$GODWIT_TEST_VALUE"'], { env })).stdout).toBe(env.GODWIT_TEST_VALUE);
    expect(addedEnvironment(env)).toEqual([['GODWIT_TEST_VALUE', env.GODWIT_TEST_VALUE]]);
    expect(addedEnvironment(undefined)).toEqual([]);
  });

  it('keeps stdout and stderr apart, and hands lines to onLine as they come', async () => {
    const lines: string[] = [];
    const result = await executor.execute('sh', ['-c', 'echo out; echo err >&2; printf out2'], { onLine: (line, stream) => lines.push(`${stream}:${line}`) });
    expect([result.stdout, result.stderr]).toEqual(['out\nout2', 'err\n']);
    expect(lines.sort()).toEqual(['stderr:err', 'stdout:out', 'stdout:out2']);
  });

  it('runs commands side by side: a slow one does not hold up a quick one', async () => {
    const finished: string[] = [];
    const slow = executor.execute('sh', ['-c', 'sleep 1.5; echo slow']).then((r) => finished.push(r.stdout));
    const started = Date.now();
    const quick = await Promise.all(Array.from({ length: 20 }, (_, i) => executor.execute('echo', [`quick ${i}`])));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(quick.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `quick ${i}\n`));
    finished.push('quick');
    await slow;
    expect(finished).toEqual(['quick', 'slow\n']);
  });

  it('kills a running command on abort or timeout, with KILL when TERM is not enough', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const sleeping = executor.execute('sleep', ['30'], { signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    expect((await sleeping).signal).toBe('SIGTERM');
    expect((await executor.execute('sleep', ['30'], { timeoutMs: 200 })).signal).toBe('SIGTERM');
    const stubborn = await executor.execute('sh', ['-c', 'trap "" TERM; exec sleep 30'], { timeoutMs: 200, killGraceMs: 300 });
    expect(stubborn.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports the pid of the program itself, running in its own session', async () => {
    let pid = 0;
    const running = executor.run({ argv: ['sh', '-c', 'exec sleep 30'] }, { onStarted: (p) => (pid = p), onOutput: () => undefined });
    await until(() => pid !== 0, 'the pid');
    // /proc/<pid>/stat: `pid (comm) state ppid pgrp session ...`
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    expect([Number(stat[1]), Number(stat[2]), Number(stat[3])]).toEqual([perl.pid, pid, pid]);
    running.kill('KILL');
    expect(await running.end).toEqual({ kind: 'exit', code: null, signal: 'SIGKILL' });
  });

  it('carries several megabytes of output intact', async () => {
    const file = path.join(dir, 'blob');
    const blob = randomBytes(6 * 1024 * 1024);
    writeFileSync(file, blob);
    const chunks: Buffer[] = [];
    const copy = executor.run({ argv: ['cat', file] }, { onOutput: (stream, data) => stream === 'stdout' && chunks.push(data) });
    expect(await copy.end).toEqual({ kind: 'exit', code: 0, signal: null });
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    let lines = 0;
    let last = '';
    const counted = await executor.execute('seq', ['1', '400000'], { onLine: (line) => ((lines += 1), (last = line)) });
    expect([counted.code, lines, last]).toEqual([0, 400000, '400000']);
    expect(counted.stdout.endsWith('399999\n400000\n')).toBe(true);
  });

  it('connects all three to /dev/null when asked', async () => {
    const file = path.join(dir, 'fds');
    const result = await executor.execute('sh', ['-c', 'echo seen; echo seen >&2; fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); printf "%s\\n" "$fds" > "$1"', 'sh', file], { stdio: 'null', input: 'ignored' });
    expect(result).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe('/dev/null\n/dev/null\n/dev/null\n');
  });

  it('fails like a shell for a program that cannot be run', async () => {
    const missing = await executor.execute('godwit-no-such-program', ['x']);
    expect(missing).toEqual({ code: 127, signal: null, stdout: '', stderr: 'godwit: cannot run godwit-no-such-program: No such file or directory\n' });
    const script = path.join(dir, 'not-executable');
    writeFileSync(script, 'true\n');
    chmodSync(script, 0o644);
    const denied = await executor.execute(script, []);
    expect([denied.code, denied.stderr]).toEqual([126, `godwit: cannot run ${script}: Permission denied\n`]);
  });

  it('gives programs the default signal dispositions (a closed pipe ends `yes` quietly)', async () => {
    expect(await executor.execute('sh', ['-c', 'yes | head -n 1'])).toEqual({ code: 0, signal: null, stdout: 'y\n', stderr: '' });
    expect((await executor.execute('grep', ['SigIgn', '/proc/self/status'])).stdout).toBe('SigIgn:\t0000000000000000\n');
  });

  it('leaves its commands running when the worker goes away, and settles them as lost', async () => {
    let pid = 0;
    let other = 0;
    const running = executor.execute('sh', ['-c', 'echo $$; exec sleep 30'], { onLine: (line, stream) => stream === 'stdout' && (other = Number(line)) });
    const probe = executor.run({ argv: ['sleep', '31'] }, { onStarted: (p) => (pid = p), onOutput: () => undefined });
    await until(() => pid !== 0 && other !== 0, 'the pids');
    const exited = new Promise((r) => perl.once('exit', r));
    executor.close();
    await exited;
    try {
      expect([alive(pid), alive(other)]).toEqual([true, true]);
      expect(await probe.end).toEqual({ kind: 'lost', reason: 'the executor on this host was closed' });
      const result = await running;
      expect([result.code, result.signal, result.stderr]).toEqual([null, null, 'godwit: the executor on this host was closed before sh finished\n']);
      expect((await executor.execute('true', [])).code).toBeNull(); // nothing more runs on it
    } finally {
      for (const left of [pid, other]) if (alive(left)) process.kill(left, 'SIGKILL');
    }
  });

  it('settles outstanding commands when the executor dies', async () => {
    let pid = 0;
    const running = executor.execute('sh', ['-c', 'echo $$; exec sleep 30'], { onLine: (line, stream) => stream === 'stdout' && (pid = Number(line)) });
    await until(() => pid !== 0, 'the pid');
    perl.kill('SIGKILL');
    const result = await running;
    process.kill(pid, 'SIGKILL');
    expect(result.code).toBeNull();
    expect(result.stdout).toBe(`${pid}\n`);
    expect(result.stderr).toMatch(/^godwit: the executor on this host (ended|went away) before sh finished\n$/);
    expect(executor.usable).toBe(false);
  });
});

describe('the executor’s frames', () => {
  it('are cut the same whatever the chunks they arrive in, after what a shell printed first', () => {
    const reply = (type: string, ...fields: string[]) => {
      const body = Buffer.concat([Buffer.from(type), ...fields.flatMap((f) => [Buffer.from([0, 0, 0, Buffer.byteLength(f)]), Buffer.from(f)])]);
      return Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    };
    // A login shell's rc file may print before the executor starts: skipped.
    const noise = Buffer.from(`Welcome!\n\0\0\0\x05H\n${FRAMES_FOLLOW.slice(0, 10)}`);
    const stream = Buffer.concat([noise, Buffer.from(`\n${FRAMES_FOLLOW}\n`), reply('H', EXECUTOR_VERSION, '42'), reply('P', '1', '77'), reply('O', '1', 'é\0x'), reply('X', '1', '', 'TERM'), reply('Z', 'future')]);
    const reader = new ReplyReader();
    const replies = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(replies).toEqual([
      { kind: 'hello', version: EXECUTOR_VERSION, pid: 42 },
      { kind: 'started', id: 1, pid: 77 },
      { kind: 'output', id: 1, stream: 'stdout', data: Buffer.from('é\0x') },
      { kind: 'exit', id: 1, code: null, signal: 'TERM' },
    ]);
  });

  it('refuse NUL, which no program could receive', async () => {
    expect(() => encodeRequest({ kind: 'run', id: 1, cwd: '', quiet: false, input: null, env: [], argv: ['echo', 'a\0b'] })).toThrow('an argument cannot contain a NUL byte');
    await expect(executor.execute('echo', ['a\0b'])).rejects.toThrow('an argument cannot contain a NUL byte');
    expect((await executor.execute('echo', ['still running'])).stdout).toBe('still running\n');
  });
});
