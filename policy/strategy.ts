import { z } from 'zod';
import { lazyPagesPipeProblem, type PipeLimit } from './lazy-pages';

/** How pages move. `auto` lets the planner choose from what preflight found. */
export const Strategy = z.enum(['auto', 'page-server', 'stop-and-copy', 'pre-copy', 'post-copy']);
export type Strategy = z.infer<typeof Strategy>;
export type ConcreteStrategy = Exclude<Strategy, 'auto'>;

/** What the strategies need of one host's kernel (the pipe limit: of a post-copy source). */
export interface HostFeatures {
  memDirtyTrack: boolean;
  uffdNoncoop: boolean;
  lazyPagesPipe?: PipeLimit;
}

/** What the planner needs to know about the two hosts and the container. */
export interface PlanFacts {
  source: string;
  target: string;
  /** Per host: dirty memory tracking (soft-dirty) and non-cooperative userfaultfd. */
  sourceFeatures: HostFeatures;
  targetFeatures: HostFeatures;
  memoryBytes: number;
  /** Measured while preparing, or null when too little moved to tell. */
  linkBytesPerSecond: number | null;
}

export interface PlanOptions {
  requested: Strategy;
  maxDowntimeSeconds: number;
  /** Post-copy may be chosen by `auto` only when this is set (after a restore it cannot roll back). */
  allowPostCopy: boolean;
}

export type Plan = { ok: true; strategy: ConcreteStrategy; reason: string } | { ok: false; error: string };

/** Assumed when nothing was measured: a gigabit link. */
export const DEFAULT_LINK_BYTES_PER_SECOND = 125_000_000;

function missing(facts: PlanFacts, feature: 'memDirtyTrack' | 'uffdNoncoop'): string[] {
  return [
    ...(facts.sourceFeatures[feature] ? [] : [facts.source]),
    ...(facts.targetFeatures[feature] ? [] : [facts.target]),
  ];
}

const MiB = 1024 * 1024;

/**
 * Checks a requested strategy against the hosts, or picks one for `auto`. The rules:
 * a frozen copy of all memory must fit in the downtime target, else pre-copy (when the
 * kernels track dirty pages) or, if the request allows it, post-copy shrinks what is copied while frozen;
 * otherwise the page server, which streams pages while frozen without a round trip to disk.
 */
export function planStrategy(facts: PlanFacts, options: PlanOptions): Plan {
  const noDirtyTracking = missing(facts, 'memDirtyTrack');
  const noUffd = missing(facts, 'uffdNoncoop');
  const rate = facts.linkBytesPerSecond ?? DEFAULT_LINK_BYTES_PER_SECOND;
  const frozenCopy = facts.memoryBytes / rate;
  const sizeAndTime = `${(facts.memoryBytes / MiB).toFixed(0)} MiB at ${(rate / MiB).toFixed(0)} MiB/s${facts.linkBytesPerSecond === null ? ' (assumed)' : ''} takes about ${frozenCopy.toFixed(2)}s frozen`;

  switch (options.requested) {
    case 'pre-copy':
      if (noDirtyTracking.length > 0) {
        return { ok: false, error: `pre-copy needs dirty memory tracking (kernel CONFIG_MEM_SOFT_DIRTY), which ${noDirtyTracking.join(' and ')} lack${noDirtyTracking.length === 1 ? 's' : ''}` };
      }
      return { ok: true, strategy: 'pre-copy', reason: 'requested' };
    case 'post-copy': {
      const problem = postCopyProblem(facts, noUffd);
      if (problem) return { ok: false, error: problem };
      return { ok: true, strategy: 'post-copy', reason: 'requested' };
    }
    case 'page-server':
    case 'stop-and-copy':
      return { ok: true, strategy: options.requested, reason: 'requested' };
    case 'auto':
      break;
  }
  if (frozenCopy <= options.maxDowntimeSeconds) {
    return { ok: true, strategy: 'page-server', reason: `${sizeAndTime}, within the ${options.maxDowntimeSeconds}s target: one streamed dump` };
  }
  if (noDirtyTracking.length === 0) {
    return { ok: true, strategy: 'pre-copy', reason: `${sizeAndTime}, over the ${options.maxDowntimeSeconds}s target: pre-copy rounds move most of it while it runs` };
  }
  const postCopy = options.allowPostCopy ? postCopyProblem(facts, noUffd) : 'post-copy is not allowed (allowPostCopy)';
  if (postCopy === null) {
    return {
      ok: true,
      strategy: 'post-copy',
      reason: `${sizeAndTime}, over the ${options.maxDowntimeSeconds}s target, no dirty tracking on ${noDirtyTracking.join(' and ')}, and post-copy allowed: it restores first and pulls pages after, with no way back once the restore began`,
    };
  }
  return {
    ok: true,
    strategy: 'page-server',
    reason: `${sizeAndTime}, over the ${options.maxDowntimeSeconds}s target, but ${noDirtyTracking.join(' and ')} cannot track dirty memory and ${postCopy}: one streamed dump is the shortest freeze available`,
  };
}

/** Why post-copy cannot run between these hosts, or null: userfaultfd on both, the source's pipe. */
function postCopyProblem(facts: PlanFacts, noUffd: string[]): string | null {
  if (noUffd.length > 0) {
    return `post-copy needs non-cooperative userfaultfd (criu check --feature uffd-noncoop), which ${noUffd.join(' and ')} lack${noUffd.length === 1 ? 's' : ''}`;
  }
  return lazyPagesPipeProblem(facts.source, facts.sourceFeatures.lazyPagesPipe);
}
