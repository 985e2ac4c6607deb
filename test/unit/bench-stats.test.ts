import { BenchResults, type BenchCase, type BenchSample } from '../../bench/model';
import { caseKey, encryptionCosts, meanSd, median, meetsOverheadTarget, pageStreamMiBps, ratios, summarize } from '../../bench/stats';
import { quickLine } from '../../bench/quick-line';
import { benchResults, loopback, sample, transportRun } from './bench-fixtures';

const wan = { name: 'wan', rateMbit: 100, delayMs: 20 };

function results(samples: BenchSample[]): BenchResults {
  return benchResults(samples, { quick: true, repetitions: 3 });
}

describe('meanSd', () => {
  it('gives the mean and the sample standard deviation', () => {
    const s = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s?.mean).toBe(5);
    expect(s?.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s?.n).toBe(8);
  });

  it('has no spread for one value and nothing for none', () => {
    expect(meanSd([1.5])).toEqual({ mean: 1.5, sd: 0, n: 1 });
    expect(meanSd([])).toBeNull();
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});

describe('caseKey', () => {
  const c: BenchCase = { strategy: 'page-server', memoryMib: 256, workload: 'idle', link: loopback, transport: 'plain', hostAccess: 'worker', serverDelayMs: null };

  it('names strategy, memory, workload and link, as before transports, for plain over workers', () => {
    expect(caseKey(c)).toBe('page-server/256MiB/idle/loopback');
  });

  it('names the server delay of a case run through the latency proxy, 0 included', () => {
    expect(caseKey({ ...c, serverDelayMs: 0 })).toBe('page-server/256MiB/idle/loopback/server+0ms');
    expect(caseKey({ ...c, serverDelayMs: 50 })).toBe('page-server/256MiB/idle/loopback/server+50ms');
  });

  it('adds the transport and SSH host access where they differ from that', () => {
    expect(caseKey({ ...c, transport: 'criu-tls' })).toBe('page-server/256MiB/idle/loopback/criu-tls');
    expect(caseKey({ ...c, hostAccess: 'ssh' })).toBe('page-server/256MiB/idle/loopback/over-ssh');
    expect(caseKey({ ...c, transport: 'ssh-tunnel', hostAccess: 'ssh' })).toBe('page-server/256MiB/idle/loopback/ssh-tunnel/over-ssh');
  });
});

describe('results written before transports were measured', () => {
  // A sample as bench/results/2026-11-22.json holds it: no transport, hostAccess or pageStreamBytes.
  const old = {
    strategy: 'page-server',
    memoryMib: 64,
    workload: 'idle',
    link: { name: 'loopback' },
    runner: 'godwit',
    rep: 1,
    outcome: 'migrated',
    seconds: { preDump: null, preCopy: null, checkpoint: 0.49, transfer: 0.38, restore: 0.268, downtime: 0.981, total: 2.865 },
    probeGapSeconds: 0.982,
    bytes: 67950025,
  };
  const machine = { cpus: 2, memoryGiB: 23.5, kernel: '6.18.44', criu: '4.2.1', runc: '1.1.5', node: 'v20.20.2' };

  it('parse as plain, over workers, with no page stream recorded', () => {
    const parsed = BenchResults.parse({ date: '2026-11-22T05:54:53.767Z', quick: false, repetitions: 3, machine, samples: [old], skipped: [] });
    expect(parsed.samples[0]).toMatchObject({ transport: 'plain', hostAccess: 'worker', pageStreamBytes: null });
    expect(caseKey(parsed.samples[0])).toBe('page-server/64MiB/idle/loopback');
  });

  it('still refuse a transport that does not exist', () => {
    const bad = { date: 'x', quick: false, repetitions: 1, machine, samples: [{ ...old, transport: 'quic' }], skipped: [] };
    expect(BenchResults.safeParse(bad).success).toBe(false);
  });
});

describe('summarize', () => {
  it('counts failures but leaves them out of the means', () => {
    const [s] = summarize(
      results([
        sample({ rep: 1, seconds: { downtime: 1 } }),
        sample({ rep: 2, seconds: { downtime: 3 } }),
        sample({ rep: 3, outcome: 'failed', error: 'restore failed', seconds: { downtime: 100 }, bytes: 5 }),
      ]),
    );
    expect(s.attempts).toBe(3);
    expect(s.failures).toBe(1);
    expect(s.downtime).toEqual({ mean: 2, sd: Math.SQRT2, n: 2 });
    expect(s.bytes?.mean).toBe(1000);
  });

  it('averages only the samples that have a value and is null where none has', () => {
    const [s] = summarize(
      results([sample({ probeGapSeconds: null }), sample({ rep: 2, probeGapSeconds: 0.4, seconds: { preDump: 0.7 } })]),
    );
    expect(s.probeGapSeconds).toEqual({ mean: 0.4, sd: 0, n: 1 });
    expect(s.preDump).toEqual({ mean: 0.7, sd: 0, n: 1 });
    expect(s.preCopy).toBeNull();
  });

  it('has no means when every attempt failed', () => {
    const [s] = summarize(results([sample({ outcome: 'failed' })]));
    expect(s).toMatchObject({ attempts: 1, failures: 1, downtime: null, total: null, bytes: null });
  });

  it('orders by link as first seen, then strategy, memory, workload, runner', () => {
    const summaries = summarize(
      results([
        sample({ link: wan }),
        sample({ runner: 'bare', memoryMib: 1024 }),
        sample({ strategy: 'stop-and-copy' }),
        sample({ memoryMib: 1024, workload: 'dirtying' }),
        sample({ memoryMib: 1024 }),
        sample({ runner: 'bare' }),
        sample(),
      ]),
    );
    expect(summaries.map((s) => `${caseKey(s)}:${s.runner}`)).toEqual([
      'page-server/256MiB/idle/wan:godwit',
      'page-server/256MiB/idle/loopback:godwit',
      'page-server/256MiB/idle/loopback:bare',
      'page-server/1024MiB/idle/loopback:godwit',
      'page-server/1024MiB/idle/loopback:bare',
      'page-server/1024MiB/dirtying/loopback:godwit',
      'stop-and-copy/256MiB/idle/loopback:godwit',
    ]);
  });

  it('groups by transport and host access too, plain first, then ssh-tunnel, then criu-tls', () => {
    const summaries = summarize(
      results([
        sample({ transport: 'criu-tls', seconds: { downtime: 3 } }),
        sample({ transport: 'ssh-tunnel', hostAccess: 'ssh', seconds: { downtime: 5 } }),
        sample({ hostAccess: 'ssh', seconds: { downtime: 4 } }),
        sample({ seconds: { downtime: 1 } }),
        sample({ rep: 2, transport: 'criu-tls', seconds: { downtime: 2 } }),
        sample({ runner: 'bare', seconds: { downtime: 0.5 } }),
      ]),
    );
    expect(summaries.map((s) => [caseKey(s), s.runner, s.attempts, s.downtime?.mean])).toEqual([
      ['page-server/256MiB/idle/loopback', 'godwit', 1, 1],
      ['page-server/256MiB/idle/loopback', 'bare', 1, 0.5],
      ['page-server/256MiB/idle/loopback/criu-tls', 'godwit', 2, 2.5],
      ['page-server/256MiB/idle/loopback/over-ssh', 'godwit', 1, 4],
      ['page-server/256MiB/idle/loopback/ssh-tunnel/over-ssh', 'godwit', 1, 5],
    ]);
  });
});

describe('ratios', () => {
  it('divides Godwit by bare within the same case', () => {
    const r = ratios(
      summarize(
        results([
          sample({ seconds: { downtime: 1.2, total: 3 } }),
          sample({ runner: 'bare', seconds: { downtime: 1, total: 2 } }),
          sample({ strategy: 'stop-and-copy', seconds: { downtime: 4, total: 8 } }),
          sample({ strategy: 'stop-and-copy', runner: 'bare', seconds: { downtime: 2, total: 5 } }),
          // Only one runner measured this one: no ratio.
          sample({ memoryMib: 1024 }),
        ]),
      ),
    );
    const plain = { transport: 'plain', hostAccess: 'worker', serverDelayMs: null };
    expect(r).toEqual([
      { strategy: 'page-server', memoryMib: 256, workload: 'idle', link: loopback, ...plain, downtime: 1.2, total: 1.5, overheadSeconds: 0.2 },
      { strategy: 'stop-and-copy', memoryMib: 256, workload: 'idle', link: loopback, ...plain, downtime: 2, total: 1.6, overheadSeconds: 2 },
    ]);
  });

  it('pairs bare only with Godwit driven alike: plain, over workers', () => {
    const r = ratios(
      summarize(
        results([
          sample({ runner: 'bare', seconds: { downtime: 1 } }),
          sample({ transport: 'criu-tls', seconds: { downtime: 2 } }),
          sample({ hostAccess: 'ssh', seconds: { downtime: 3 } }),
        ]),
      ),
    );
    expect(r).toEqual([]);
  });

  it('rounds to three decimals', () => {
    const [r] = ratios(summarize(results([sample({ seconds: { downtime: 1 } }), sample({ runner: 'bare', seconds: { downtime: 3 } })])));
    expect(r.downtime).toBe(0.333);
    expect(r.overheadSeconds).toBe(-2);
  });

  it('is null where a side has no value or bare took no time', () => {
    const [r] = ratios(
      summarize(
        results([
          sample({ seconds: { downtime: null, total: 2 } }),
          sample({ runner: 'bare', seconds: { downtime: 1, total: 0 } }),
        ]),
      ),
    );
    expect(r).toMatchObject({ downtime: null, total: null, overheadSeconds: null });
  });
});

describe('pageStreamMiBps', () => {
  it('divides the page stream by the checkpoint time, for page-server only', () => {
    expect(pageStreamMiBps(sample({ pageStreamBytes: 32 * 1024 * 1024, seconds: { checkpoint: 0.25 } }))).toBe(128);
    expect(pageStreamMiBps(sample({ strategy: 'pre-copy', pageStreamBytes: 1024, seconds: { checkpoint: 1 } }))).toBeNull();
    expect(pageStreamMiBps(sample({ pageStreamBytes: null }))).toBeNull();
    expect(pageStreamMiBps(sample({ pageStreamBytes: 1024, seconds: { checkpoint: null } }))).toBeNull();
  });
});

describe('encryptionCosts', () => {
  // Expectations computed by hand in bench-fixtures.ts, above transportRun.
  const costs = encryptionCosts(results(transportRun()));
  const ps64 = { strategy: 'page-server', memoryMib: 64, workload: 'dirtying', link: loopback, hostAccess: 'ssh', serverDelayMs: null };

  it("divides each encrypted transport's medians by plain's, migrated samples only", () => {
    expect(costs).toEqual([
      { ...ps64, transport: 'ssh-tunnel', n: { encrypted: 3, plain: 3 }, downtime: 1.818, total: 1.3, pageStreamMiBps: { encrypted: 64, plain: 128 } },
      { ...ps64, transport: 'criu-tls', n: { encrypted: 2, plain: 3 }, downtime: 1.2, total: 1.1, pageStreamMiBps: { encrypted: 96, plain: 128 } },
      {
        ...ps64,
        strategy: 'stop-and-copy',
        transport: 'criu-tls',
        n: { encrypted: 1, plain: 1 },
        downtime: 1.25,
        total: 1.25,
        pageStreamMiBps: { encrypted: null, plain: null },
      },
    ]);
  });

  it('compares only with plain driven the same way', () => {
    const mixed = encryptionCosts(
      results([sample({ seconds: { downtime: 1 } }), sample({ transport: 'ssh-tunnel', hostAccess: 'ssh', seconds: { downtime: 2 } })]),
    );
    expect(mixed).toEqual([]);
  });

  it('has no ratio where plain never migrated, and ignores bare', () => {
    const [cost] = encryptionCosts(
      results([
        sample({ outcome: 'failed' }),
        sample({ runner: 'bare', seconds: { downtime: 1 } }),
        sample({ transport: 'criu-tls', seconds: { downtime: 2 } }),
      ]),
    );
    expect(cost).toMatchObject({ transport: 'criu-tls', n: { encrypted: 1, plain: 0 }, downtime: null, total: null });
  });
});

describe('meetsOverheadTarget', () => {
  it('allows 5 % plus 150 ms over bare, and not a millisecond more', () => {
    expect(meetsOverheadTarget(2.25, 2)).toBe(true);
    expect(meetsOverheadTarget(2.249, 2)).toBe(true);
    expect(meetsOverheadTarget(2.251, 2)).toBe(false);
    expect(meetsOverheadTarget(0.15, 0)).toBe(true);
    expect(meetsOverheadTarget(0.151, 0)).toBe(false);
  });
});

describe('quickLine', () => {
  const run = results([
    sample({ seconds: { downtime: 1.1 } }),
    sample({ runner: 'bare', seconds: { downtime: 1 } }),
    sample({ memoryMib: 1024, seconds: { downtime: 3 } }),
    sample({ memoryMib: 1024, rep: 2, outcome: 'failed' }),
    sample({ memoryMib: 1024, runner: 'bare', seconds: { downtime: 2 } }),
    // Larger, but not on the loopback link: not the headline case.
    sample({ memoryMib: 4096, link: wan }),
    sample({ memoryMib: 4096, link: wan, runner: 'bare' }),
  ]);

  it('is one line of JSON', () => {
    const line = quickLine(run);
    expect(line).not.toContain('\n');
    expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('counts samples and failures, lists the ratios, and judges page-server at 256 MiB, where the target is set', () => {
    expect(JSON.parse(quickLine(run))).toEqual({
      date: '2025-01-02T03:04:05.000Z',
      quick: true,
      samples: 7,
      failures: 1,
      ratios: [
        { case: 'page-server/256MiB/idle/loopback', downtime: 1.1, total: 1, overheadSeconds: 0.1 },
        { case: 'page-server/1024MiB/idle/loopback', downtime: 1.5, total: 1, overheadSeconds: 1 },
        { case: 'page-server/4096MiB/idle/wan', downtime: 1, total: 1, overheadSeconds: 0 },
      ],
      encryptionCost: [],
      overheadTarget: { case: 'page-server/256MiB/idle/loopback', met: true },
      postCopy: [],
      serverLatency: [],
      gateways: [],
    });
  });

  it('gives each strategy\'s downtime at each server delay, its ratio at the largest delay to 0, and seconds per ms of round trip', () => {
    const through = (serverDelayMs: number, downtime: number, rep = 1) => sample({ memoryMib: 64, serverDelayMs, rep, seconds: { downtime } });
    const line = quickLine(results([through(0, 1), through(0, 1.2, 2), through(50, 1.3), through(50, 1.1, 2), sample({ memoryMib: 64, serverDelayMs: 25, outcome: 'failed' }), sample({ seconds: { downtime: 9 } })]));
    expect((JSON.parse(line) as { serverLatency: unknown }).serverLatency).toEqual([
      {
        strategy: 'page-server',
        points: [
          { delayMs: 0, n: 2, downtime: 1.1 },
          { delayMs: 25, n: 0, downtime: null },
          { delayMs: 50, n: 2, downtime: 1.2 },
        ],
        ratio: 1.091,
        // (1.2 - 1.1) s over a 100 ms round trip.
        secondsPerMsRoundTrip: 0.001,
      },
    ]);
  });

  it('puts each case driven over SSH beside the same case over the hosts\' own workers', () => {
    const line = quickLine(
      results([
        sample({ memoryMib: 64, seconds: { downtime: 0.8 } }),
        sample({ memoryMib: 64, hostAccess: 'ssh', seconds: { downtime: 1.0 } }),
        sample({ memoryMib: 256, outcome: 'failed' }),
        sample({ memoryMib: 256, hostAccess: 'ssh', seconds: { downtime: 2 } }),
        // No local counterpart in the run: not compared.
        sample({ memoryMib: 1024, hostAccess: 'ssh', seconds: { downtime: 5 } }),
      ]),
    );
    expect((JSON.parse(line) as { gateways: unknown }).gateways).toEqual([
      { case: 'page-server/64MiB/idle/loopback', n: { ssh: 1, worker: 1 }, downtime: { ssh: 1, worker: 0.8 }, ratio: 1.25 },
      { case: 'page-server/256MiB/idle/loopback', n: { ssh: 1, worker: 0 }, downtime: { ssh: 2, worker: null }, ratio: null },
    ]);
  });

  it('puts each post-copy case beside page-server at the same size: downtime, drain, and the rate during it', () => {
    const cost = (drainSeconds: number, rateDuringDrain: number) => ({ drainSeconds, rateBefore: 100, rateDuringDrain });
    const line = quickLine(
      results([
        sample({ memoryMib: 1024, seconds: { downtime: 3 } }),
        sample({ memoryMib: 1024, strategy: 'post-copy', seconds: { downtime: 0.5 }, postCopy: cost(2, 80) }),
        sample({ memoryMib: 1024, strategy: 'post-copy', rep: 2, seconds: { downtime: 0.7 }, postCopy: cost(4, 60) }),
        sample({ memoryMib: 1024, strategy: 'post-copy', rep: 3, outcome: 'failed' }),
        // Post-copy without a page-server counterpart: the side it lacks is null.
        sample({ memoryMib: 64, strategy: 'post-copy', seconds: { downtime: 0.4 }, postCopy: { drainSeconds: 0.1, rateBefore: null, rateDuringDrain: 90 } }),
      ]),
    );
    expect((JSON.parse(line) as { postCopy: unknown }).postCopy).toEqual([
      { case: 'post-copy/1024MiB/idle/loopback', n: 2, downtime: 0.6, pageServerDowntime: 3, drainSeconds: 3, rateDuringDrain: 0.7 },
      { case: 'post-copy/64MiB/idle/loopback', n: 1, downtime: 0.4, pageServerDowntime: null, drainSeconds: 0.1, rateDuringDrain: null },
    ]);
  });

  it('without 256 MiB, judges the size nearest to it', () => {
    const line = quickLine(
      results([
        sample({ memoryMib: 64, seconds: { downtime: 1 } }),
        sample({ memoryMib: 64, runner: 'bare', seconds: { downtime: 1 } }),
        sample({ memoryMib: 512, seconds: { downtime: 3 } }),
        sample({ memoryMib: 512, runner: 'bare', seconds: { downtime: 2 } }),
      ]),
    );
    expect((JSON.parse(line) as { overheadTarget: unknown }).overheadTarget).toEqual({ case: 'page-server/512MiB/idle/loopback', met: false });
  });

  it('lists the encryption cost of each encrypted case, keyed by its transport', () => {
    expect((JSON.parse(quickLine(results(transportRun()))) as { encryptionCost: unknown }).encryptionCost).toEqual([
      { case: 'page-server/64MiB/dirtying/loopback/ssh-tunnel/over-ssh', downtime: 1.818, total: 1.3 },
      { case: 'page-server/64MiB/dirtying/loopback/criu-tls/over-ssh', downtime: 1.2, total: 1.1 },
      { case: 'stop-and-copy/64MiB/dirtying/loopback/criu-tls/over-ssh', downtime: 1.25, total: 1.25 },
    ]);
  });

  it('has no target verdict without a page-server case on loopback measured by both runners', () => {
    const line = quickLine(results([sample({ link: wan }), sample({ link: wan, runner: 'bare' }), sample()]));
    expect((JSON.parse(line) as { overheadTarget: unknown }).overheadTarget).toBeNull();
  });
});
