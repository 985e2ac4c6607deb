import type { BenchCase, BenchResults, BenchSample } from '../../bench/model';
import { caseKey, meanSd, meetsOverheadTarget, quickLine, ratios, summarize } from '../../bench/stats';
import { benchResults, loopback, sample } from './bench-fixtures';

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

describe('caseKey', () => {
  it('names strategy, memory, workload and link', () => {
    const c: BenchCase = { strategy: 'page-server', memoryMib: 256, workload: 'idle', link: loopback };
    expect(caseKey(c)).toBe('page-server/256MiB/idle/loopback');
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
    expect(r).toEqual([
      { strategy: 'page-server', memoryMib: 256, workload: 'idle', link: loopback, downtime: 1.2, total: 1.5, overheadSeconds: 0.2 },
      { strategy: 'stop-and-copy', memoryMib: 256, workload: 'idle', link: loopback, downtime: 2, total: 1.6, overheadSeconds: 2 },
    ]);
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
      overheadTarget: { case: 'page-server/256MiB/idle/loopback', met: true },
    });
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

  it('has no target verdict without a page-server case on loopback measured by both runners', () => {
    const line = quickLine(results([sample({ link: wan }), sample({ link: wan, runner: 'bare' }), sample()]));
    expect((JSON.parse(line) as { overheadTarget: unknown }).overheadTarget).toBeNull();
  });
});
