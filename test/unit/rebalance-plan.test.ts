import fc from 'fast-check';
import {
  FleetUsage,
  RebalancePolicy,
  applyPlan,
  parseRebalancePolicy,
  planRebalance,
  type HostUsage,
  type RebalancePolicyInput,
  type RecentMove,
} from '../../policy/rebalance';
import { formatPlan } from '../../client/format';

const GiB = 1024 ** 3;
const NOW = 1_700_000_000_000;
const MINUTE = 60_000;

/** [name, cores, GiB, labels]: on a 10-core, 10 GiB host, 1 core or 1 GiB is 10%. */
type ContainerSpec = [name: string, cpuCores: number, memoryGiB: number, labels?: Record<string, string>];

/** A 10-core, 10 GiB host; `other` is load that is not a container (the system, daemons). */
function host(name: string, containers: ContainerSpec[], other: [cpuCores: number, memoryGiB: number] = [0, 0], capacity = { cpuCores: 10, memoryBytes: 10 * GiB }): HostUsage {
  const list = containers.map(([n, cpuCores, memoryGiB, labels = {}]) => ({ name: n, cpuCores, memoryBytes: memoryGiB * GiB, labels }));
  return {
    host: name,
    capacity,
    used: {
      cpuCores: list.reduce((sum, c) => sum + c.cpuCores, other[0]),
      memoryBytes: list.reduce((sum, c) => sum + c.memoryBytes, other[1] * GiB),
    },
    containers: list,
  };
}

/** Under-used below 30%, over-used above 70%, on either resource. */
const policy = (overrides: Partial<RebalancePolicyInput> = {}): RebalancePolicy =>
  RebalancePolicy.parse({ thresholds: { cpu: 30, memory: 30 }, targetThresholds: { cpu: 70, memory: 70 }, ...overrides });

const moved = (plan: ReturnType<typeof planRebalance>): string[] => plan.moves.map((m) => `${m.container}: ${m.source} -> ${m.target}`);

/** alpha at 90% cpu needs two of its four containers out to be back at or under 70%. */
const crowded = (): HostUsage[] => [
  host('alpha', [['a1', 1.5, 1], ['a2', 1, 0.5], ['a3', 0.8, 0.5], ['a4', 0.7, 0.5]], [5, 1]),
  host('beta', [], [1, 1]),
  host('gamma', [], [2, 2]),
];

describe('rebalance planning', () => {
  it('classifies every host by its busiest resource against both thresholds', () => {
    const plan = planRebalance(
      [
        host('alpha', [], [8, 5]),
        host('beta', [], [2, 2]),
        host('gamma', [], [5, 5]),
        host('delta', [], [2, 5]), // cpu under, memory not: not under-used
        host('epsilon', [], [7, 3]), // exactly at the target and at the threshold: neither
        host('zeta', [], [0, 1], { cpuCores: 0, memoryBytes: 10 * GiB }), // no cpu capacity counts as full
      ],
      policy(),
      [],
      NOW,
    );
    expect(plan.hosts.map((h) => [h.host, h.class, h.cpuPercent, h.memoryPercent])).toEqual([
      ['alpha', 'over-used', 80, 50],
      ['beta', 'under-used', 20, 20],
      ['delta', 'balanced', 20, 50],
      ['epsilon', 'balanced', 70, 30],
      ['gamma', 'balanced', 50, 50],
      ['zeta', 'over-used', 100, 10],
    ]);
  });

  it('moves the largest containers to the emptiest under-used host until the source is back within target', () => {
    const plan = planRebalance(crowded(), policy(), [], NOW);
    expect(plan.moves).toEqual([
      { container: 'a1', source: 'alpha', target: 'beta', reason: 'alpha cpu 90% > 70%; beta would go to 25% cpu, 20% memory' },
      // beta would now be at 35% cpu, gamma at 30%: gamma has more headroom left.
      { container: 'a2', source: 'alpha', target: 'gamma', reason: 'alpha cpu 75% > 70%; gamma would go to 30% cpu, 25% memory' },
    ]);
    expect(plan.skipped).toEqual([]);
    expect(plan.summary).toBe('2 moves planned');
    const alpha = plan.hosts.find((h) => h.host === 'alpha');
    expect(alpha?.projected.cpuPercent).toBeCloseTo(65);
    expect(alpha?.projected.memoryPercent).toBeCloseTo(20);
  });

  it('never plans a move that would push the target over its target thresholds', () => {
    const hosts = [host('alpha', [['big', 0.5, 5], ['small', 0.5, 1.5]], [1, 2.5]), host('beta', [], [1, 2.5])];
    const plan = planRebalance(hosts, policy(), [], NOW);
    expect(plan.skipped).toEqual([{ container: 'big', host: 'alpha', reason: 'no under-used host can take it: beta would go to 75% memory (> 70%)' }]);
    expect(plan.moves).toEqual([
      { container: 'small', source: 'alpha', target: 'beta', reason: 'alpha memory 90% > 70%; beta would go to 40% memory, 15% cpu' },
    ]);
    expect(plan.summary).toBe('1 move planned; still over its target thresholds: alpha (memory 75% > 70%); 1 container skipped');

    // Landing exactly on the target threshold is allowed.
    const exact = planRebalance([host('alpha', [['big', 0.5, 4.5]], [1, 4.5]), host('beta', [], [1, 2.5])], policy(), [], NOW);
    expect(moved(exact)).toEqual(['big: alpha -> beta']);
    expect(exact.hosts.find((h) => h.host === 'beta')?.projected.memoryPercent).toBeCloseTo(70);
  });

  it('keeps receiving hosts within their target thresholds on any fleet, within every cap, whatever the input order', () => {
    const container = fc.record({ cpuTenths: fc.integer({ min: 0, max: 40 }), memoryGiB: fc.integer({ min: 0, max: 8 }) });
    const hostSpec = fc.record({
      cpuCores: fc.constantFrom(4, 8, 16),
      memoryGiB: fc.constantFrom(8, 16, 32),
      otherTenths: fc.integer({ min: 0, max: 20 }),
      containers: fc.array(container, { maxLength: 6 }),
    });
    const percentPair = fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
    fc.assert(
      fc.property(
        fc.array(hostSpec, { minLength: 2, maxLength: 6 }),
        percentPair,
        percentPair,
        fc.record({ maxMovesPerRun: fc.integer({ min: 1, max: 6 }), maxOutboundPerHost: fc.integer({ min: 1, max: 3 }), maxInboundPerHost: fc.integer({ min: 1, max: 3 }) }),
        fc.integer(),
        (specs, [cpuLow, cpuHigh], [memLow, memHigh], caps, seed) => {
          const hosts: HostUsage[] = specs.map((s, i) => {
            const containers = s.containers.map((c, j) => ({ name: `c${i}-${j}`, cpuCores: c.cpuTenths / 10, memoryBytes: c.memoryGiB * GiB, labels: {} }));
            return {
              host: `h${i}`,
              capacity: { cpuCores: s.cpuCores, memoryBytes: s.memoryGiB * GiB },
              used: {
                cpuCores: containers.reduce((sum, c) => sum + c.cpuCores, s.otherTenths / 10),
                memoryBytes: containers.reduce((sum, c) => sum + c.memoryBytes, 0),
              },
              containers,
            };
          });
          const p = policy({ thresholds: { cpu: cpuLow, memory: memLow }, targetThresholds: { cpu: cpuHigh, memory: memHigh }, ...caps });
          const plan = planRebalance(hosts, p, [], NOW);

          const count = (key: 'source' | 'target', name: string): number => plan.moves.filter((m) => m[key] === name).length;
          expect(plan.moves.length).toBeLessThanOrEqual(p.maxMovesPerRun);
          for (const h of plan.hosts) {
            expect(count('source', h.host)).toBeLessThanOrEqual(p.maxOutboundPerHost);
            expect(count('target', h.host)).toBeLessThanOrEqual(p.maxInboundPerHost);
            if (count('target', h.host) > 0) {
              expect(h.class).toBe('under-used');
              expect(h.projected.cpuPercent).toBeLessThanOrEqual(cpuHigh + 1e-6);
              expect(h.projected.memoryPercent).toBeLessThanOrEqual(memHigh + 1e-6);
            }
            if (count('source', h.host) > 0) expect(h.class).toBe('over-used');
          }

          const shuffled = shuffle(hosts.map((h) => ({ ...h, containers: shuffle(h.containers, seed) })), seed);
          expect(planRebalance(shuffled, p, [], NOW)).toEqual(plan);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never moves a container that carries the exclude label set to "true"', () => {
    const hosts = [
      host('alpha', [['pinned', 2, 1, { 'godwit.io/no-rebalance': 'true' }], ['free', 1.5, 1, { 'godwit.io/no-rebalance': 'false' }], ['small', 0.5, 0.5]], [5, 1]),
      host('beta', [], [1, 1]),
    ];
    const plan = planRebalance(hosts, policy(), [], NOW);
    expect(plan.skipped).toEqual([{ container: 'pinned', host: 'alpha', reason: 'carries godwit.io/no-rebalance=true' }]);
    expect(moved(plan)).toEqual(['free: alpha -> beta', 'small: alpha -> beta']);

    // The label is the policy's to name: under another one, "pinned" is just the largest.
    expect(moved(planRebalance(hosts, policy({ excludeLabel: 'team.example/pinned' }), [], NOW))).toEqual(['pinned: alpha -> beta']);
  });

  it('leaves a container alone while it is in its cooldown, and moves it once the cooldown is over', () => {
    const hosts = [host('alpha', [['recent', 2, 1], ['old', 1.5, 1], ['edge', 1.2, 0.5]], [4.3, 1]), host('beta', [], [1, 1])];
    const recentMoves: RecentMove[] = [
      { container: 'recent', finishedAt: NOW - 5 * 60 * MINUTE },
      { container: 'recent', finishedAt: NOW - 10 * MINUTE }, // the latest move counts
      { container: 'old', finishedAt: NOW - 120 * MINUTE },
      { container: 'edge', finishedAt: NOW - 60 * MINUTE }, // exactly cooldownSeconds ago: free again
    ];
    const plan = planRebalance(hosts, policy(), recentMoves, NOW);
    expect(plan.skipped).toEqual([{ container: 'recent', host: 'alpha', reason: 'moved 10m ago, within the 60m cooldown' }]);
    expect(moved(plan)).toEqual(['old: alpha -> beta', 'edge: alpha -> beta']);

    expect(moved(planRebalance(hosts, policy({ cooldownSeconds: 300 }), recentMoves, NOW))).toEqual(['recent: alpha -> beta']);
  });

  it('skips a container that holds none of what its host is over on', () => {
    const plan = planRebalance([host('alpha', [['idle', 0, 2], ['busy', 1, 0]], [7, 0]), host('beta', [], [1, 1])], policy(), [], NOW);
    expect(moved(plan)).toEqual(['busy: alpha -> beta']);
    expect(planRebalance([host('alpha', [['idle', 0, 2]], [8, 0]), host('beta', [], [1, 1])], policy(), [], NOW).skipped).toEqual([
      { container: 'idle', host: 'alpha', reason: "moving it would not lower alpha's cpu" },
    ]);
  });

  describe('caps', () => {
    // zulu (90% cpu) is the most loaded, so it goes first although alpha (80%) sorts first by name.
    const twoSources = (): HostUsage[] => [
      host('alpha', [['o1', 2, 0.5]], [6, 0]),
      host('beta', [], [1, 1]),
      host('gamma', [], [1, 1]),
      host('zulu', [['z1', 2, 0.5], ['z2', 1, 0.5]], [6, 0]),
    ];

    it('stops at maxMovesPerRun and says so', () => {
      expect(moved(planRebalance(twoSources(), policy(), [], NOW))).toEqual(['z1: zulu -> beta', 'o1: alpha -> gamma']);
      const plan = planRebalance(twoSources(), policy({ maxMovesPerRun: 1 }), [], NOW);
      expect(moved(plan)).toEqual(['z1: zulu -> beta']);
      expect(plan.skipped).toEqual([{ container: 'o1', host: 'alpha', reason: 'maxMovesPerRun (1) reached' }]);
      expect(plan.summary).toBe('1 move planned; stopped at maxMovesPerRun (1); still over its target thresholds: alpha (cpu 80% > 70%); 1 container skipped');
    });

    it('stops moving out of a host at maxOutboundPerHost, and carries on with the next host', () => {
      const hosts = [
        host('alpha', [['a1', 1.5, 0.5], ['a2', 1.2, 0.5], ['a3', 0.8, 0.5]], [5.5, 0]),
        host('beta', [], [1, 1]),
        host('gamma', [], [2, 2]),
        host('omega', [['o1', 2, 0.5]], [6, 0]),
      ];
      expect(moved(planRebalance(hosts, policy(), [], NOW))).toEqual(['a1: alpha -> beta', 'a2: alpha -> gamma', 'o1: omega -> beta']);
      const plan = planRebalance(hosts, policy({ maxOutboundPerHost: 1 }), [], NOW);
      expect(moved(plan)).toEqual(['a1: alpha -> beta', 'o1: omega -> gamma']);
      expect(plan.skipped).toEqual([{ container: 'a2', host: 'alpha', reason: 'alpha already has 1 move out (maxOutboundPerHost 1)' }]);
      expect(plan.summary).toBe('2 moves planned; alpha reached maxOutboundPerHost (1); still over its target thresholds: alpha (cpu 75% > 70%); 1 container skipped');
    });

    it('sends the next move elsewhere once a host has taken maxInboundPerHost, and stops when every one has', () => {
      const alpha = host('alpha', [['a1', 1.5, 0.5], ['a2', 1.2, 0.5], ['a3', 0.8, 0.5]], [5.5, 0]);
      const spread = [alpha, host('beta', [], [1, 1]), host('gamma', [], [2.8, 1])];
      expect(moved(planRebalance(spread, policy(), [], NOW))).toEqual(['a1: alpha -> beta', 'a2: alpha -> beta']);
      expect(moved(planRebalance(spread, policy({ maxInboundPerHost: 1 }), [], NOW))).toEqual(['a1: alpha -> beta', 'a2: alpha -> gamma']);

      const full = planRebalance([alpha, host('beta', [], [1, 1])], policy({ maxInboundPerHost: 1 }), [], NOW);
      expect(moved(full)).toEqual(['a1: alpha -> beta']);
      expect(full.skipped).toEqual([{ container: 'a2', host: 'alpha', reason: 'every under-used host already has 1 move in (maxInboundPerHost 1)' }]);
      expect(full.summary).toContain('every under-used host reached maxInboundPerHost (1)');
    });

    it('names a full host among the reasons a container fits nowhere, and carries on with smaller ones', () => {
      // A 40-core alpha stays over after one move; gamma has room for small containers only.
      const alpha = host('alpha', [['a1', 4.5, 0.5], ['a2', 4.3, 0.5], ['a3', 1, 0.5]], [26.2, 0], { cpuCores: 40, memoryBytes: 10 * GiB });
      const plan = planRebalance([alpha, host('beta', [], [1, 1]), host('gamma', [], [2.8, 1])], policy({ maxInboundPerHost: 1 }), [], NOW);
      expect(moved(plan)).toEqual(['a1: alpha -> beta', 'a3: alpha -> gamma']);
      expect(plan.skipped).toEqual([
        { container: 'a2', host: 'alpha', reason: 'no under-used host can take it: beta already has 1 move in (maxInboundPerHost 1); gamma would go to 71% cpu (> 70%)' },
      ]);
    });
  });

  describe('nothing to do', () => {
    it('plans nothing on a balanced fleet', () => {
      const plan = planRebalance([host('beta', [['b1', 1, 1]], [0, 0]), host('gamma', [['g1', 2, 2]], [3, 3])], policy(), [], NOW);
      expect(plan.moves).toEqual([]);
      expect(plan.skipped).toEqual([]);
      expect(plan.summary).toBe('no host is over its target thresholds: nothing to move');
    });

    it('plans nothing when no host could receive', () => {
      const plan = planRebalance([host('alpha', [['a1', 2, 1]], [7, 0]), host('gamma', [], [5, 5])], policy(), [], NOW);
      expect(plan.moves).toEqual([]);
      expect(plan.summary).toBe('no host is under-used to receive containers; over its target thresholds: alpha');
    });

    it('finds nothing more to do on the fleet its own plan leaves behind', () => {
      const before = crowded();
      const first = planRebalance(before, policy(), [], NOW);
      expect(first.moves).toHaveLength(2);
      const after = applyPlan(before, first.moves);
      expect(after.map((h) => [h.host, h.containers.map((c) => c.name)])).toEqual([
        ['alpha', ['a3', 'a4']],
        ['beta', ['a1']],
        ['gamma', ['a2']],
      ]);
      expect(after[0].used.cpuCores).toBeCloseTo(6.5);
      const second = planRebalance(after, policy(), [], NOW);
      expect(second.moves).toEqual([]);
      expect(second.summary).toBe('no host is over its target thresholds: nothing to move');
      expect(before[0].containers).toHaveLength(4); // applyPlan left its input alone
    });
  });

  it('gives the same plan whatever the order of hosts, containers and recent moves, breaking ties by name', () => {
    const hosts = [host('alpha', [['x2', 1.5, 0.5], ['x1', 1.5, 0.5], ['x3', 0.1, 0.1, { 'godwit.io/no-rebalance': 'true' }]], [6, 0]), host('gamma', [], [1, 1]), host('beta', [], [1, 1])];
    const recent: RecentMove[] = [{ container: 'x9', finishedAt: NOW - MINUTE }, { container: 'x8', finishedAt: NOW - 2 * MINUTE }];
    const plan = planRebalance(hosts, policy(), recent, NOW);
    // Equal containers and equal hosts: x1 before x2, beta before gamma.
    expect(moved(plan)).toEqual(['x1: alpha -> beta', 'x2: alpha -> gamma']);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = shuffle(hosts.map((h) => ({ ...h, containers: shuffle(h.containers, seed) })), seed * 7);
      expect(planRebalance(shuffled, policy(), shuffle(recent, seed), NOW)).toEqual(plan);
    }
  });

  it('renders the plan as aligned plain-text tables', () => {
    const text = formatPlan(planRebalance(crowded(), policy({ maxMovesPerRun: 1 }), [], NOW));
    expect(text.split('\n')).toEqual([
      'HOST   CLASS       CPU  MEMORY  CPU AFTER  MEMORY AFTER',
      'alpha  over-used   90%  35%     75%        25%',
      'beta   under-used  10%  10%     25%        20%',
      'gamma  under-used  20%  20%     20%        20%',
      '',
      '#  CONTAINER  FROM   TO    WHY',
      '1  a1         alpha  beta  alpha cpu 90% > 70%; beta would go to 25% cpu, 20% memory',
      '',
      'SKIPPED  ON     WHY',
      'a2       alpha  maxMovesPerRun (1) reached',
      '',
      '1 move planned; stopped at maxMovesPerRun (1); still over its target thresholds: alpha (cpu 75% > 70%); 1 container skipped',
    ]);
    expect(formatPlan(planRebalance([host('beta', [], [1, 1])], policy(), [], NOW))).toContain('no moves');
  });
});

describe('rebalance policy', () => {
  it('fills in the defaults and accepts thresholds equal to the targets', () => {
    expect(parseRebalancePolicy({ thresholds: { cpu: 50, memory: 50 }, targetThresholds: { cpu: 50, memory: 80 } })).toEqual({
      ok: true,
      value: {
        thresholds: { cpu: 50, memory: 50 },
        targetThresholds: { cpu: 50, memory: 80 },
        maxMovesPerRun: 5,
        maxOutboundPerHost: 2,
        maxInboundPerHost: 2,
        cooldownSeconds: 3600,
        excludeLabel: 'godwit.io/no-rebalance',
      },
    });
  });

  it('refuses thresholds above the target thresholds with a readable message', () => {
    expect(parseRebalancePolicy({ thresholds: { cpu: 80, memory: 30 }, targetThresholds: { cpu: 70, memory: 70 } })).toEqual({
      ok: false,
      error: 'invalid rebalance policy: thresholds.cpu: cpu threshold 80% is above the cpu target threshold 70%: a host could be under-used and over-used at once',
    });
  });

  it.each([
    ['a percent over 100', { targetThresholds: { cpu: 120, memory: 70 } }],
    ['no moves per run', { maxMovesPerRun: 0 }],
    ['a negative cooldown', { cooldownSeconds: -1 }],
    ['an unknown field', { maxMoves: 3 }],
  ])('refuses %s', (_what, overrides) => {
    expect(RebalancePolicy.safeParse({ thresholds: { cpu: 30, memory: 30 }, targetThresholds: { cpu: 70, memory: 70 }, ...overrides }).success).toBe(false);
  });

  it('refuses a fleet that names a host or a container twice', () => {
    const result = FleetUsage.safeParse([host('alpha', [['web', 1, 1]]), host('alpha', []), host('beta', [['web', 1, 1]])]);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['host "alpha" is listed twice', 'container "web" is listed twice (on alpha and beta)']);
  });
});

/** A deterministic Fisher-Yates shuffle (a small LCG), so a failing order can be replayed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
