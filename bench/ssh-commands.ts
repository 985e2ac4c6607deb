// What one command costs over SSH: 50 `true` then 50 `cat` of a small file, one after the
// other, through SshRuntime against an sshd of our own on loopback (infra/lab/sshd.ts; no lab).
// `--perl NAME` names the perl for the remote executor: a missing one times the channel per
// command path. Build, then: `node dist/bench/ssh-commands.js [--perl godwit-no-perl] [--count 50]`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSshd } from '../infra/lab/sshd';
import { stopProcess } from '../infra/lab/processes';
import { SshRuntime } from '../runtime/ssh';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function msPerCommand(count: number, run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1e6 / count;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { perl: { type: 'string' }, count: { type: 'string', default: '50' } } });
  const count = Number(values.count);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'godwit-ssh-bench-'));
  const sshd = await startSshd({ dir, address: '127.0.0.1', port: await freePort() });
  const rt = new SshRuntime(
    { host: 'bench', address: sshd.address, port: sshd.port, user: 'root', identityFile: sshd.identityFile, hostKeyFingerprint: sshd.hostKeyFingerprint },
    values.perl ? { perl: values.perl } : {},
  );
  try {
    const file = path.join(dir, 'small');
    writeFileSync(file, 'a small file\n'.repeat(20));
    const first = await msPerCommand(1, () => rt.executeOk('true', [])); // connection and executor
    const trueMs = await msPerCommand(count, () => rt.executeOk('true', []));
    const catMs = await msPerCommand(count, () => rt.executeOk('cat', [file]));
    console.log(`${values.perl ? `perl=${values.perl}` : 'default'}: first command ${first.toFixed(1)} ms; ${count} x true ${trueMs.toFixed(2)} ms/command; ${count} x cat ${catMs.toFixed(2)} ms/command`);
  } finally {
    await rt.close();
    await stopProcess(sshd.pid, 'sshd');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
