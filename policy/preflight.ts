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
 * metadata, about a tenth more) and a fixed margin so the host is never filled to the brim.
 */
export function requiredTargetBytes(facts: { memoryBytes: number; rootfsBytes: number }): number {
  const margin = 64 * 1024 * 1024;
  return Math.ceil(facts.rootfsBytes + facts.memoryBytes * 1.1 + margin);
}
