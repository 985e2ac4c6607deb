// Benchmark samples and results for the bench unit tests, parsed by the real schema so every
// one a test builds is one the runner could write.
import { BenchResults, type BenchSample } from '../../bench/model';
import type { PhaseSeconds } from '../../policy/report';

export const loopback = { name: 'loopback' };

type SampleInput = Partial<Omit<BenchSample, 'seconds'>> & { seconds?: Partial<PhaseSeconds> };

export function sample(input: SampleInput = {}): BenchSample {
  const { seconds, ...rest } = input;
  return {
    strategy: 'page-server',
    memoryMib: 256,
    workload: 'idle',
    link: loopback,
    runner: 'godwit',
    rep: 1,
    outcome: 'migrated',
    probeGapSeconds: 1,
    bytes: 1000,
    ...rest,
    seconds: { preDump: null, preCopy: null, checkpoint: 0.5, transfer: 0.2, restore: 0.3, downtime: 1, total: 2, ...seconds },
  };
}

export function benchResults(samples: BenchSample[], over: Partial<Omit<BenchResults, 'samples'>> = {}): BenchResults {
  return BenchResults.parse({
    date: '2025-01-02T03:04:05.000Z',
    quick: false,
    repetitions: 2,
    machine: { cpus: 4, memoryGiB: 8, kernel: '6.1.0', criu: '3.19', runc: '1.2.0', node: 'v20.19.0' },
    skipped: [],
    ...over,
    samples,
  });
}
