import { parseMeminfo, parseProcCgroup, parseProcStat } from '../../runtime/usage';

describe('reading a host’s load', () => {
  it('takes total and available memory from /proc/meminfo', () => {
    const text = 'MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   12288000 kB\n';
    expect(parseMeminfo(text)).toEqual({ totalBytes: 24576000 * 1024, availableBytes: 12288000 * 1024 });
  });

  it('counts idle and iowait as not busy, and the CPUs from their own lines', () => {
    const text = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\ncpu1 50 3 25 400 20 2 1 0 0 0\nintr 1\n';
    expect(parseProcStat(text)).toEqual({ busy: 160, total: 1000, cpus: 2 });
  });

  it('finds v1 controllers, including joined ones, and the unified path', () => {
    const { v1, unified } = parseProcCgroup('4:memory:/godwit-alpha/web\n2:cpu,cpuacct:/godwit-alpha/web\n0::/\n');
    expect(v1.get('memory')).toBe('/godwit-alpha/web');
    expect(v1.get('cpuacct')).toBe('/godwit-alpha/web');
    expect(unified).toBe('/');
  });
});
