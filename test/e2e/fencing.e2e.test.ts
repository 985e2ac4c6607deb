// Fencing on the real lab (runc 1.1.5, this machine's cgroup v1 freezer): a frozen copy that
// Godwit destroys never runs user code again. The container's processes append to files in
// its root fs as fast as they can; after `runc pause` and Godwit's destroy, not one byte more
// arrives. (runc's own `delete --force` on a paused container kills only init and thaws the
// cgroup: the others run on until the PID namespace is torn down.)
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { LocalRuntime } from '../../runtime/local';
import { HostLayout } from '../../runtime/layout';
import { Runc } from '../../runtime/runc';
import { labRemove, labRun } from '../../infra/lab/lab';
import { tools } from '../../infra/lab/tools';
import { waitFor } from '../../infra/lab/processes';
import { busyboxBundle, host, statusOn, useLab } from './lab';

jest.setTimeout(120_000);

const session = useLab();
const WRITERS = 4;

/** Busybox's init forks WRITERS - 1 writers and writes itself: each appends to /hb-N. */
const writersScript = () =>
  `${Array.from({ length: WRITERS - 1 }, (_, i) => `(while :; do echo x >> /hb-${i + 1}; done) &`).join(' ')} while :; do echo x >> /hb-0; done`;

/** Bytes each writer has written so far, by file. */
function written(rootfs: string): Record<string, number> {
  return Object.fromEntries(readdirSync(rootfs).filter((f) => f.startsWith('hb-')).sort().map((f) => [f, statSync(path.join(rootfs, f)).size]));
}

describe('destroying a frozen container', () => {
  it('kills every one of its tasks while frozen: nothing is written after the freeze', async () => {
    const alpha = host(session.lab, 'alpha');
    const name = 'e2e-fence';
    await labRemove('alpha', name);
    await labRun('alpha', name, await busyboxBundle(name, writersScript()));
    const layout = new HostLayout(alpha.stateDir);
    const rootfs = path.join(layout.bundle(name), 'rootfs');
    await waitFor('every writer to write', () => Promise.resolve(Object.keys(written(rootfs)).length === WRITERS), 10_000);
    const runc = new Runc(new LocalRuntime(), { runc: tools().runc, criu: tools().criu, root: layout.runcRoot });

    await runc.pause(name);
    // Frozen: writes already in flight land within moments; then nothing moves.
    await new Promise((r) => setTimeout(r, 300));
    const atFreeze = written(rootfs);
    expect(Object.values(atFreeze).every((bytes) => bytes > 0)).toBe(true);
    await runc.destroy(name);
    expect(await statusOn(alpha, name)).toBe('absent');
    await new Promise((r) => setTimeout(r, 500));
    expect(written(rootfs)).toEqual(atFreeze);
    await labRemove('alpha', name);
  });
});
