import { findStragglers } from '../../runtime/stragglers';
import { mentions } from '../../runtime/daemon';

const work = '/var/lib/godwit/hosts/alpha/work/web-1a2b3c4d';
const spec = { programs: ['runc'], paths: [work] };
const proc = (pid: number, ...argv: string[]) => ({ pid, argv });

describe('commands an earlier attempt left running', () => {
  it('finds the run’s own runc dump by its work path', () => {
    const dump = proc(10, '/usr/sbin/runc', '--root', '/x', 'checkpoint', '--work-path', `${work}/dump`, 'web');
    expect(findStragglers([dump], spec, 1)).toEqual([dump]);
  });

  it('ignores other runs, other programs, and the worker itself', () => {
    const otherRun = proc(11, 'runc', 'checkpoint', '--work-path', `${work}0/dump`, 'web');
    const pageServer = proc(12, '/usr/sbin/criu', 'page-server', '--work-dir', `${work}/page-server-final`);
    const self = proc(13, 'runc', 'restore', '--work-path', `${work}/restore`);
    expect(findStragglers([otherRun, pageServer, self], spec, 13)).toEqual([]);
  });

  it('matches a path given as --option=path, not a longer name that starts the same', () => {
    expect(mentions(['rsync', `--log-file=${work}`], work)).toBe(true);
    expect(mentions(['rsync', `${work}/images/`], work)).toBe(true);
    expect(mentions(['rsync', `${work}x/images/`], work)).toBe(false);
  });
});
