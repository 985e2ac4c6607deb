// Which containers to migrate so that no host stays over its target load: the Kubernetes
// descheduler's LowNodeUtilization, with live migration instead of eviction. Pure and
// deterministic (the clock comes in as `now`), so a workflow can plan with it and
// `godwit rebalance --dry-run` can print the very plan the workflow would run.
import { z } from 'zod';
import { ContainerName, HostName, describeZodError, type ParseResult } from './request';

export const Resource = z.enum(['cpu', 'memory']);
export type Resource = z.infer<typeof Resource>;
const RESOURCES: readonly Resource[] = Resource.options;

const Amount = z.number().nonnegative();

export const ResourceAmounts = z.object({ cpuCores: Amount, memoryBytes: Amount });
export type ResourceAmounts = z.infer<typeof ResourceAmounts>;

const AMOUNT_OF: Record<Resource, keyof ResourceAmounts> = { cpu: 'cpuCores', memory: 'memoryBytes' };

export const ContainerUsage = z.object({
  name: ContainerName,
  cpuCores: Amount,
  memoryBytes: Amount,
  labels: z.record(z.string(), z.string()).default({}),
});
export type ContainerUsage = z.infer<typeof ContainerUsage>;

export const HostUsage = z.object({
  host: HostName,
  capacity: ResourceAmounts,
  /** The whole host's usage: its containers and everything else running there. */
  used: ResourceAmounts,
  containers: z.array(ContainerUsage),
});
export type HostUsage = z.infer<typeof HostUsage>;
export type HostUsageInput = z.input<typeof HostUsage>;

/**
 * A fleet's usage as planRebalance expects it: host and container names are what moves,
 * cooldowns and tie-breaks key on, so each must appear once.
 */
export const FleetUsage = z.array(HostUsage).superRefine((hosts, ctx) => {
  const hostsSeen = new Set<string>();
  const containersSeen = new Map<string, string>();
  for (const [i, h] of hosts.entries()) {
    if (hostsSeen.has(h.host)) ctx.addIssue({ code: 'custom', message: `host "${h.host}" is listed twice`, path: [i, 'host'] });
    hostsSeen.add(h.host);
    for (const [j, c] of h.containers.entries()) {
      const first = containersSeen.get(c.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', message: `container "${c.name}" is listed twice (on ${first} and ${h.host})`, path: [i, 'containers', j, 'name'] });
      }
      containersSeen.set(c.name, first ?? h.host);
    }
  }
});

const Percent = z.number().min(0).max(100);
const PerResource = z.object({ cpu: Percent, memory: Percent }).strict();

export const DEFAULT_EXCLUDE_LABEL = 'godwit.io/no-rebalance';

export const RebalancePolicy = z
  .object({
    /** A host under these on every resource is under-used: it may receive containers. */
    thresholds: PerResource,
    /** A host over these on any resource is over-used; no move may push a host over them. */
    targetThresholds: PerResource,
    maxMovesPerRun: z.number().int().min(1).default(5),
    /** Moves leaving one host in a run, like the outbound slots of policy/slots.ts. */
    maxOutboundPerHost: z.number().int().min(1).default(2),
    maxInboundPerHost: z.number().int().min(1).default(2),
    /** A container moved less than this long ago stays put, so a fleet never ping-pongs. */
    cooldownSeconds: z.number().nonnegative().default(3600),
    /** A container whose label of this name is "true" is never moved. */
    excludeLabel: z.string().min(1).default(DEFAULT_EXCLUDE_LABEL),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const r of RESOURCES) {
      if (p.thresholds[r] > p.targetThresholds[r]) {
        ctx.addIssue({
          code: 'custom',
          path: ['thresholds', r],
          message: `${r} threshold ${p.thresholds[r]}% is above the ${r} target threshold ${p.targetThresholds[r]}%: a host could be under-used and over-used at once`,
        });
      }
    }
  });
export type RebalancePolicy = z.infer<typeof RebalancePolicy>;
/** The policy as a person writes it, before defaults are filled in. */
export type RebalancePolicyInput = z.input<typeof RebalancePolicy>;

export function parseRebalancePolicy(input: unknown): ParseResult<RebalancePolicy> {
  const result = RebalancePolicy.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `invalid rebalance policy: ${describeZodError(result.error)}` };
}

/** A finished migration, for the cooldown. */
export const RecentMove = z.object({ container: z.string(), finishedAt: z.number() /* epoch ms */ });
export type RecentMove = z.infer<typeof RecentMove>;

export const HostClass = z.enum(['under-used', 'over-used', 'balanced']);
export type HostClass = z.infer<typeof HostClass>;

export const HostAssessment = z.object({
  host: z.string(),
  /** From the usage as given, before any planned move. */
  class: HostClass,
  cpuPercent: z.number(),
  memoryPercent: z.number(),
  /** After every planned move. */
  projected: z.object({ cpuPercent: z.number(), memoryPercent: z.number() }),
});
export type HostAssessment = z.infer<typeof HostAssessment>;

export const PlannedMove = z.object({ container: z.string(), source: z.string(), target: z.string(), reason: z.string() });
export type PlannedMove = z.infer<typeof PlannedMove>;

export const SkippedContainer = z.object({ container: z.string(), host: z.string(), reason: z.string() });
export type SkippedContainer = z.infer<typeof SkippedContainer>;

export const RebalancePlan = z.object({
  hosts: z.array(HostAssessment),
  /** In the order they were planned, which is the order to run them in. */
  moves: z.array(PlannedMove),
  skipped: z.array(SkippedContainer),
  summary: z.string(),
});
export type RebalancePlan = z.infer<typeof RebalancePlan>;

// Cores are fractional and their sums drift (0.1 + 0.2); a billionth of a percent is noise,
// not load, and must not flip a host across a threshold.
const TOLERANCE = 1e-9;
const above = (percent: number, limit: number): boolean => percent > limit + TOLERANCE;
const below = (percent: number, limit: number): boolean => percent < limit - TOLERANCE;

/** A host without capacity for a resource counts as full on it: it can neither give nor take. */
const percentOf = (amount: number, capacity: number): number => (capacity > 0 ? (amount * 100) / capacity : 100);

const percents = (used: ResourceAmounts, capacity: ResourceAmounts): Record<Resource, number> => ({
  cpu: percentOf(used.cpuCores, capacity.cpuCores),
  memory: percentOf(used.memoryBytes, capacity.memoryBytes),
});

/** Code-unit order, not localeCompare: the same on every worker whatever its locale. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** One decimal at most, so that 80.4% > 80% never reads as 80% > 80%. */
/** A share as the plan's reasons and tables write it: 1 decimal, no trailing zeros. */
export const formatPercent = (percent: number): string => `${Math.round(percent * 10) / 10}%`;

function classify(p: Record<Resource, number>, policy: RebalancePolicy): HostClass {
  if (RESOURCES.some((r) => above(p[r], policy.targetThresholds[r]))) return 'over-used';
  if (RESOURCES.every((r) => below(p[r], policy.thresholds[r]))) return 'under-used';
  return 'balanced';
}

/** A host while planning: its usage moves with every planned move. */
interface Projection {
  host: string;
  capacity: ResourceAmounts;
  used: ResourceAmounts;
  containers: ContainerUsage[];
  class: HostClass;
  initial: Record<Resource, number>;
  inbound: number;
  outbound: number;
}

const load = (h: Projection): Record<Resource, number> => percents(h.used, h.capacity);

const pressingResources = (h: Projection, policy: RebalancePolicy): Resource[] =>
  RESOURCES.filter((r) => above(load(h)[r], policy.targetThresholds[r]));

function shift(container: ContainerUsage, from: ResourceAmounts, to: ResourceAmounts): void {
  for (const r of RESOURCES) {
    const k = AMOUNT_OF[r];
    // `used` is measured separately from the containers; never project below nothing.
    from[k] = Math.max(0, from[k] - container[k]);
    to[k] += container[k];
  }
}

/** How much of the source's over resources a container holds, in percentage points. */
const relief = (c: ContainerUsage, pressing: readonly Resource[], capacity: ResourceAmounts): number =>
  pressing.reduce((sum, r) => sum + (capacity[AMOUNT_OF[r]] > 0 ? (c[AMOUNT_OF[r]] * 100) / capacity[AMOUNT_OF[r]] : 0), 0);

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.floor(seconds)}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

/** The target's load after taking the container, pressing resources first. */
function describeArrival(target: Projection, after: Record<Resource, number>, pressing: readonly Resource[]): string {
  const order = [...pressing, ...RESOURCES.filter((r) => !pressing.includes(r))];
  return `${target.host} would go to ${order.map((r) => `${formatPercent(after[r])} ${r}`).join(', ')}`;
}

/**
 * Plans migrations from over-used hosts (over `targetThresholds` on any resource) to
 * under-used ones (under `thresholds` on all), most-loaded source first, its largest
 * containers first, until each source is back within its targets or a cap is reached.
 * `now` and `recentMoves[].finishedAt` are epoch milliseconds.
 */
export function planRebalance(
  hosts: readonly HostUsage[],
  policy: RebalancePolicy,
  recentMoves: readonly RecentMove[],
  now: number,
): RebalancePlan {
  const fleet: Projection[] = [...hosts]
    .sort((a, b) => byName(a.host, b.host))
    .map((h) => {
      const initial = percents(h.used, h.capacity);
      return {
        host: h.host,
        capacity: h.capacity,
        used: { ...h.used },
        containers: [...h.containers],
        class: classify(initial, policy),
        initial,
        inbound: 0,
        outbound: 0,
      };
    });
  const moves: PlannedMove[] = [];
  const skipped: SkippedContainer[] = [];
  const finish = (summary: string): RebalancePlan => ({
    hosts: fleet.map((h) => {
      const after = load(h);
      return {
        host: h.host,
        class: h.class,
        cpuPercent: h.initial.cpu,
        memoryPercent: h.initial.memory,
        projected: { cpuPercent: after.cpu, memoryPercent: after.memory },
      };
    }),
    moves,
    skipped,
    summary,
  });

  const peak = (h: Projection): number => Math.max(...RESOURCES.map((r) => h.initial[r]));
  const overUsed = fleet.filter((h) => h.class === 'over-used').sort((a, b) => peak(b) - peak(a) || byName(a.host, b.host));
  // Targets stay the hosts that were under-used before planning. One that climbs to or past
  // `thresholds` stays eligible while it fits under `targetThresholds`, as the descheduler's
  // do: the fit check already keeps it from becoming over-used (so nothing ping-pongs), and
  // dropping it early would strand containers that fit.
  const underUsed = fleet.filter((h) => h.class === 'under-used');
  if (overUsed.length === 0) return finish('no host is over its target thresholds: nothing to move');
  if (underUsed.length === 0) {
    return finish(`no host is under-used to receive containers; over its target thresholds: ${overUsed.map((h) => h.host).join(', ')}`);
  }

  const lastMoved = new Map<string, number>();
  for (const m of recentMoves) lastMoved.set(m.container, Math.max(m.finishedAt, lastMoved.get(m.container) ?? -Infinity));

  /** Why a container may not leave, whatever the targets: its label, its cooldown, or no use. */
  const heldBack = (c: ContainerUsage, source: Projection, pressing: readonly Resource[]): string | null => {
    if (c.labels[policy.excludeLabel] === 'true') return `carries ${policy.excludeLabel}=true`;
    const finishedAt = lastMoved.get(c.name);
    if (finishedAt !== undefined) {
      const ageSeconds = (now - finishedAt) / 1000;
      if (ageSeconds < policy.cooldownSeconds) {
        return `moved ${formatDuration(Math.max(0, ageSeconds))} ago, within the ${formatDuration(policy.cooldownSeconds)} cooldown`;
      }
    }
    if (relief(c, pressing, source.capacity) <= 0) return `moving it would not lower ${source.host}'s ${pressing.join(' or ')}`;
    return null;
  };

  /** The open under-used host with the most headroom left after taking `c`, or why none fits. */
  const chooseTarget = (c: ContainerUsage, pressing: readonly Resource[]): { target: Projection; reason: string } | { refusal: string } => {
    let best: { target: Projection; after: Record<Resource, number>; headroom: number } | null = null;
    const refusals: string[] = [];
    for (const t of underUsed) {
      if (t.inbound >= policy.maxInboundPerHost) {
        refusals.push(`${t.host} already has ${plural(t.inbound, 'move')} in (maxInboundPerHost ${policy.maxInboundPerHost})`);
        continue;
      }
      const used = { ...t.used };
      for (const r of RESOURCES) used[AMOUNT_OF[r]] += c[AMOUNT_OF[r]];
      const after = percents(used, t.capacity);
      const overflow = RESOURCES.filter((r) => above(after[r], policy.targetThresholds[r]));
      if (overflow.length > 0) {
        refusals.push(`${t.host} would go to ${overflow.map((r) => `${formatPercent(after[r])} ${r} (> ${policy.targetThresholds[r]}%)`).join(', ')}`);
        continue;
      }
      const headroom = Math.min(...RESOURCES.map((r) => policy.targetThresholds[r] - after[r]));
      // Strictly greater: on a tie the host earlier by name (underUsed is in name order) wins.
      if (best === null || headroom > best.headroom) best = { target: t, after, headroom };
    }
    if (best === null) return { refusal: `no under-used host can take it: ${refusals.join('; ')}` };
    return { target: best.target, reason: describeArrival(best.target, best.after, pressing) };
  };

  const notes: string[] = [];
  let stopped = false;
  for (const source of overUsed) {
    if (stopped) break;
    const remaining = [...source.containers];
    for (;;) {
      const pressing = pressingResources(source, policy);
      if (pressing.length === 0 || remaining.length === 0) break;
      // Re-ranked each time: once one resource is back within target, only the others count.
      remaining.sort((a, b) => relief(b, pressing, source.capacity) - relief(a, pressing, source.capacity) || byName(a.name, b.name));
      const container = remaining.shift() as ContainerUsage;
      const skip = (reason: string): void => {
        skipped.push({ container: container.name, host: source.host, reason });
      };

      const held = heldBack(container, source, pressing);
      if (held !== null) {
        skip(held);
        continue;
      }
      if (moves.length >= policy.maxMovesPerRun) {
        skip(`maxMovesPerRun (${policy.maxMovesPerRun}) reached`);
        notes.push(`stopped at maxMovesPerRun (${policy.maxMovesPerRun})`);
        stopped = true;
        break;
      }
      if (source.outbound >= policy.maxOutboundPerHost) {
        skip(`${source.host} already has ${plural(source.outbound, 'move')} out (maxOutboundPerHost ${policy.maxOutboundPerHost})`);
        notes.push(`${source.host} reached maxOutboundPerHost (${policy.maxOutboundPerHost})`);
        break;
      }
      if (underUsed.every((t) => t.inbound >= policy.maxInboundPerHost)) {
        skip(`every under-used host already has ${plural(policy.maxInboundPerHost, 'move')} in (maxInboundPerHost ${policy.maxInboundPerHost})`);
        notes.push(`every under-used host reached maxInboundPerHost (${policy.maxInboundPerHost})`);
        stopped = true;
        break;
      }

      const sourceLoad = load(source);
      const overNow = pressing.map((r) => `${r} ${formatPercent(sourceLoad[r])} > ${policy.targetThresholds[r]}%`).join(', ');
      const choice = chooseTarget(container, pressing);
      if ('refusal' in choice) {
        skip(choice.refusal);
        continue;
      }
      const { target } = choice;
      moves.push({ container: container.name, source: source.host, target: target.host, reason: `${source.host} ${overNow}; ${choice.reason}` });
      shift(container, source.used, target.used);
      source.containers = source.containers.filter((c) => c !== container);
      target.containers.push(container);
      source.outbound += 1;
      target.inbound += 1;
    }
  }

  const stillOver = overUsed.filter((h) => pressingResources(h, policy).length > 0);
  const parts = [
    moves.length === 0 ? 'no moves planned' : `${plural(moves.length, 'move')} planned`,
    ...notes,
    ...(stillOver.length > 0
      ? [
          `still over its target thresholds: ${stillOver
            .map((h) => `${h.host} (${pressingResources(h, policy).map((r) => `${r} ${formatPercent(load(h)[r])} > ${policy.targetThresholds[r]}%`).join(', ')})`)
            .join(', ')}`,
        ]
      : []),
    ...(skipped.length > 0 ? [`${plural(skipped.length, 'container')} skipped`] : []),
  ];
  return finish(parts.join('; '));
}

/**
 * The fleet as it would be once every move ran: containers on their targets and their usage
 * carried over. For showing the outcome, and for checking that planning again finds nothing.
 */
export function applyPlan(hosts: readonly HostUsage[], moves: readonly PlannedMove[]): HostUsage[] {
  const fleet = hosts.map((h) => ({ ...h, used: { ...h.used }, containers: [...h.containers] }));
  const byHost = new Map(fleet.map((h) => [h.host, h]));
  for (const move of moves) {
    const source = byHost.get(move.source);
    const target = byHost.get(move.target);
    const container = source?.containers.find((c) => c.name === move.container);
    if (source === undefined || target === undefined || container === undefined) {
      throw new Error(`cannot apply the move of ${move.container} from ${move.source} to ${move.target}: no such container or host`);
    }
    shift(container, source.used, target.used);
    source.containers = source.containers.filter((c) => c !== container);
    target.containers.push(container);
  }
  return fleet;
}
