import { hostAccessFor, inThisRun, parseBenchOptions } from '../../bench/options';

describe('npm run bench options', () => {
  it('quick means one repetition of the small unshaped cases, and post-copy against page-server at 1 GiB', () => {
    const parsed = parseBenchOptions(['--quick']);
    expect(parsed).toMatchObject({
      ok: true,
      value: { quick: true, repetitions: 1, memoryMib: [64, 1024], links: ['loopback'], strategies: ['page-server', 'stop-and-copy', 'post-copy'], transports: ['plain'] },
    });
    if (!parsed.ok) return;
    const runs = (strategy: 'page-server' | 'stop-and-copy' | 'post-copy', memoryMib: number) => inThisRun(parsed.value, { strategy, memoryMib });
    expect([runs('stop-and-copy', 64), runs('page-server', 64), runs('post-copy', 64)]).toEqual([true, true, true]);
    expect([runs('stop-and-copy', 1024), runs('page-server', 1024), runs('post-copy', 1024)]).toEqual([false, true, true]);
  });

  it('a full run takes every strategy at every size', () => {
    const parsed = parseBenchOptions([]);
    expect(parsed.ok && inThisRun(parsed.value, { strategy: 'stop-and-copy', memoryMib: 1024 })).toBe(true);
  });

  it('the full run covers every size, workload, strategy and rate-shaped link, plain and criu-tls (local workers), five times', () => {
    const parsed = parseBenchOptions([]);
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        repetitions: 5,
        memoryMib: [64, 256, 1024],
        workloads: ['idle', 'dirtying'],
        strategies: ['page-server', 'stop-and-copy', 'pre-copy', 'post-copy'],
        links: ['loopback', '1gbit', '100mbit'],
        // ssh-tunnel would put every case behind SSH gateways and lose the bare comparison.
        transports: ['plain', 'criu-tls'],
      },
    });
  });

  it('takes the transports to compare, quick or not', () => {
    const parsed = parseBenchOptions(['--quick', '--transports', 'plain, ssh-tunnel,criu-tls']);
    expect(parsed).toMatchObject({ ok: true, value: { quick: true, transports: ['plain', 'ssh-tunnel', 'criu-tls'] } });
  });

  it('refuses an unknown transport, naming it and the option', () => {
    const parsed = parseBenchOptions(['--transports', 'plain,quic']);
    expect(parsed).toEqual({ ok: false, error: 'transports.1: "quic" is not one of plain, ssh-tunnel, criu-tls' });
  });

  it('takes lists and numbers from flags', () => {
    const parsed = parseBenchOptions(['--reps', '3', '--memory', '128, 512', '--links', '100mbit-20ms', '--strategies', 'post-copy']);
    expect(parsed).toMatchObject({ ok: true, value: { repetitions: 3, memoryMib: [128, 512], links: ['100mbit-20ms'], strategies: ['post-copy'] } });
  });

  it.each([
    [['--reps', '0'], /repetitions/],
    [['--memory', '64;rm -rf /'], /memoryMib/],
    [['--memory', '4'], /memoryMib/],
    [['--links', 'carrier-pigeon'], /links/],
    [['--strategies', 'teleport'], /strategies/],
    [['--workloads', ''], /workloads/],
    [['--transports', ''], /transports/],
    [['--transports', 'tls'], /transports\.0: "tls" is not one of/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('refuses %j with a message naming the option', (argv, message) => {
    const parsed = parseBenchOptions(argv);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toMatch(message);
  });
});

describe('hostAccessFor', () => {
  it('drives the hosts over SSH for every transport once ssh-tunnel is in the run, else by their workers', () => {
    expect(hostAccessFor({ transports: ['plain', 'criu-tls', 'ssh-tunnel'] })).toBe('ssh');
    expect(hostAccessFor({ transports: ['ssh-tunnel'] })).toBe('ssh');
    expect(hostAccessFor({ transports: ['plain', 'criu-tls'] })).toBe('worker');
  });
});
