// Fencing on the real lab (runc 1.1.5, this machine's cgroup v1 freezer): a frozen copy that
// Godwit destroys never runs user code again. The container's processes append to files in
// its root fs as fast as they can; after `runc pause` and Godwit's destroy, not one byte more
// arrives. (runc's own `delete --force` on a paused container kills only init and thaws the
// cgroup: the others run on until the PID namespace is torn down.) The kernel VM runs the
// same check under pure cgroup v2 (test/kernel).
import path from 'node:path';
import { LocalRuntime } from '../../runtime/local';
import { HostLayout } from '../../runtime/layout';
import { hostConfig, labRemove } from '../../infra/lab/lab';
import { tools } from '../../infra/lab/tools';
import { checkFencing } from '../../infra/demo/fencing-check';
import { host, useLab } from './lab';

jest.setTimeout(120_000);

const session = useLab();

describe('destroying a frozen container', () => {
  it('kills every one of its tasks while frozen: nothing is written after the freeze', async () => {
    const alpha = host(session.lab, 'alpha');
    const name = 'e2e-fence';
    await labRemove('alpha', name);
    const layout = new HostLayout(alpha.stateDir);
    const config = hostConfig(alpha);
    const result = await checkFencing(new LocalRuntime(), { runc: tools().runc, criu: tools().criu, root: layout.runcRoot }, {
      bundleDir: layout.bundle(name),
      name,
      cgroupParent: config.cgroupParent,
      netnsPath: config.netnsPath,
      logFile: path.join(layout.work(`run-${name}`, 'run'), 'runc.log'),
    });
    expect(Object.values(result.atFreeze).every((bytes) => bytes > 0)).toBe(true);
    expect(result.afterDestroy).toEqual(result.atFreeze);
    expect(result.held).toBe(true);
    await labRemove('alpha', name);
  });
});
