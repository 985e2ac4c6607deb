// The last root-fs sync after the freeze is exact on the real lab (rsync 3, beta's real file
// receiver): a file rewritten with the same size in the same second as the previous sync,
// which rsync's quick check skips (the control below shows it), arrives current; a file
// unchanged within the window is not sent again.
import path from 'node:path';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { LocalRuntime } from '../../runtime/local';
import { Rsync } from '../../runtime/rsync';
import { syncExactly } from '../../runtime/final-sync';
import { hostConfig } from '../../infra/lab/lab';
import { tools } from '../../infra/lab/tools';
import { host, useLab } from './lab';

jest.setTimeout(60_000);

const session = useLab();

it('sends a same-size, same-second rewrite that the quick check misses, and nothing unchanged', async () => {
  const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
  const src = path.join(alpha.stateDir, 'work', 'e2e-final-sync', 'src');
  const relTarget = 'incoming/e2e-final-sync';
  const arrived = (name: string) => readFileSync(path.join(beta.stateDir, relTarget, name), 'utf8');
  const listFile = path.join(alpha.stateDir, 'work', 'e2e-final-sync', 'changed-files');
  rmSync(path.dirname(src), { recursive: true, force: true });
  rmSync(path.join(beta.stateDir, relTarget), { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const rt = new LocalRuntime();
  const rsync = new Rsync(rt, tools().rsync);
  const target = { address: beta.address, port: hostConfig(beta).transferPort, path: relTarget };
  try {
    writeFileSync(path.join(src, 'untouched'), 'written long before the freeze');
    await new Promise((r) => setTimeout(r, 3100));
    // A WAL segment: preallocated, so every rewrite keeps its size.
    const second = Math.floor(Date.now() / 1000);
    writeFileSync(path.join(src, 'wal'), 'A'.repeat(8192));
    utimesSync(path.join(src, 'wal'), second, second);
    await rsync.push(src, target, { mirror: true });
    expect(arrived('wal')).toBe('A'.repeat(8192));

    writeFileSync(path.join(src, 'wal'), 'B'.repeat(8192));
    utimesSync(path.join(src, 'wal'), second + 0.5, second + 0.5); // the same whole second
    // Control: the quick check alone leaves the target stale.
    await rsync.push(src, target, { mirror: true });
    expect(arrived('wal')).toBe('A'.repeat(8192));

    await syncExactly(rt, rsync, src, target, { changedWithinSeconds: 2, listFile });
    expect(arrived('wal')).toBe('B'.repeat(8192));
    expect(arrived('untouched')).toBe('written long before the freeze');
    expect(readFileSync(listFile, 'utf8')).toBe('wal\0');
  } finally {
    rmSync(path.dirname(src), { recursive: true, force: true });
    rmSync(path.join(beta.stateDir, relTarget), { recursive: true, force: true });
  }
});
