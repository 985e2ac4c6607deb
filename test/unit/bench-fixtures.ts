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
    transport: 'plain',
    hostAccess: 'worker',
    serverDelayMs: null,
    runner: 'godwit',
    rep: 1,
    outcome: 'migrated',
    probeGapSeconds: 1,
    bytes: 1000,
    pageStreamBytes: null,
    postCopy: null,
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

const MiB = 1024 * 1024;

/**
 * A run with ssh-tunnel, so every Godwit case drove the hosts over SSH. Medians, by hand:
 * page-server 64 MiB dirtying
 *   plain:      downtime 1.0 1.1 1.2 -> 1.1;  total 2.0 2.2 2.4 -> 2.2;  64 MiB / checkpoint 0.5 0.4 0.8 -> 128 160 80 MiB/s -> 128
 *   ssh-tunnel: downtime 1.8 2.0 2.2 -> 2.0;  total 2.75 2.86 3.3 -> 2.86; 64 MiB / checkpoint 1 0.8 2 -> 64 80 32 -> 64
 *               (and one failure, left out)
 *   criu-tls:   downtime 1.21 1.43 -> 1.32;   total 2.2 2.64 -> 2.42;     64 MiB / checkpoint 0.5 1 -> 128 64 -> 96
 *   so ssh-tunnel / plain: downtime 2.0 / 1.1 = 1.818, total 2.86 / 2.2 = 1.3;
 *      criu-tls / plain:   downtime 1.32 / 1.1 = 1.2,  total 2.42 / 2.2 = 1.1.
 * stop-and-copy 64 MiB dirtying (no page stream)
 *   plain: downtime 0.8, total 2.0;  criu-tls: downtime 1.0, total 2.5 -> 1.25 and 1.25.
 * page-server 256 MiB dirtying: criu-tls only, no plain to compare with.
 */
export function transportRun(): BenchSample[] {
  const ps = (transport: BenchSample['transport'], rep: number, downtime: number, total: number, checkpoint: number, over: Partial<BenchSample> = {}) =>
    sample({ memoryMib: 64, workload: 'dirtying', transport, hostAccess: 'ssh', rep, pageStreamBytes: 64 * MiB, seconds: { downtime, total, checkpoint }, ...over });
  const sc = (transport: BenchSample['transport'], downtime: number, total: number) =>
    sample({ strategy: 'stop-and-copy', memoryMib: 64, workload: 'dirtying', transport, hostAccess: 'ssh', seconds: { downtime, total } });
  return [
    ps('plain', 1, 1.0, 2.0, 0.5),
    ps('ssh-tunnel', 1, 2.2, 3.3, 1),
    ps('criu-tls', 1, 1.21, 2.2, 0.5),
    ps('criu-tls', 2, 1.43, 2.64, 1),
    ps('ssh-tunnel', 2, 1.8, 2.75, 0.8),
    ps('plain', 2, 1.2, 2.4, 0.4),
    ps('plain', 3, 1.1, 2.2, 0.8),
    ps('ssh-tunnel', 3, 2.0, 2.86, 2),
    ps('ssh-tunnel', 4, 100, 200, 1, { outcome: 'failed', error: 'tunnel closed' }),
    sc('plain', 0.8, 2.0),
    sc('criu-tls', 1.0, 2.5),
    sample({ memoryMib: 256, workload: 'dirtying', transport: 'criu-tls', hostAccess: 'ssh' }),
  ];
}
