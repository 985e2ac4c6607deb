// Pure preflight rules: what the facts gathered from both hosts must satisfy.

/** Compares dotted versions numerically: -1, 0 or 1. Non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** CRIU images are readable by the same or a newer CRIU, not an older one. */
export function criuVersionProblem(source: string, target: string): string | null {
  if (compareVersions(source, target) > 0) {
    return `the target's CRIU ${target} is older than the source's ${source}; images may not restore`;
  }
  return null;
}

/**
 * Disk the target needs: the root file system, the memory image (pages plus CRIU's
 * metadata, about a tenth more), room for one ghost file at the migration's limit (a
 * deleted-but-open file travels inside the images, whole), and a fixed margin so the host is
 * never filled to the brim. The ghost limit applies per file, so a container holding several
 * large ones can still need more: this reserves for the common case, one, and the dump
 * refuses any single file above the limit.
 */
export function requiredTargetBytes(facts: { memoryBytes: number; rootfsBytes: number }, options: { ghostLimitBytes?: number } = {}): number {
  const margin = 64 * 1024 * 1024;
  return Math.ceil(facts.rootfsBytes + facts.memoryBytes * 1.1 + (options.ghostLimitBytes ?? 0) + margin);
}

/** CAP_SYS_RESOURCE's bit in a capability set (linux/capability.h). */
const CAP_SYS_RESOURCE = 24n;

/** A process of the container as /proc/<pid>/status describes it. */
export interface ProcessIdentity {
  pid: number;
  name: string;
  /** Real, effective, saved and file-system IDs. */
  uids: number[];
  gids: number[];
}

/** The fields of /proc/<pid>/status preflight needs; null when the text has none of them. */
export function parseProcStatus(pid: number, text: string): ProcessIdentity | null {
  const field = (key: string) => text.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'))?.[1]?.trim();
  const ids = (key: string) => (field(key) ?? '').split(/\s+/).filter((x) => /^\d+$/.test(x)).map(Number);
  const uids = ids('Uid');
  const gids = ids('Gid');
  if (uids.length === 0 || gids.length === 0) return null;
  return { pid, name: field('Name') ?? '?', uids, gids };
}

/** Whether a `CapEff:` value (hex) holds CAP_SYS_RESOURCE. */
export function hasSysResource(capEffHex: string): boolean {
  return ((BigInt(`0x${capEffHex.trim() || '0'}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/**
 * CRIU reads each task's resource limits (prlimit); for a task whose user and group IDs are
 * not all the dumping process's own (root's 0), that takes CAP_SYS_RESOURCE. Without it the
 * dump fails after the freeze ("Can't get rlimit 0: Operation not permitted"): refuse first.
 */
export function dumpCapabilityProblem(input: { host: string; container: string; capEff: string; processes: readonly ProcessIdentity[] }): string | null {
  if (hasSysResource(input.capEff)) return null;
  const foreign = input.processes.filter((p) => [...p.uids, ...p.gids].some((id) => id !== 0));
  if (foreign.length === 0) return null;
  const named = foreign
    .slice(0, 3)
    .map((p) => `${p.pid} (${p.name}, uid ${p.uids[0]}, gid ${p.gids[0]})`)
    .join(', ');
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : '';
  return (
    `container ${input.container} on host ${input.host} runs process ${named}${more} under another user than root; ` +
    `CRIU must read its resource limits, which needs CAP_SYS_RESOURCE, and root on ${input.host} lacks it (CapEff ${input.capEff.trim()}). ` +
    'Run the container as root there, or give the host that capability'
  );
}
