// Which of a container's bind mounts move with it. A bind mount whose source lies under the
// host's `volumesDir` is a volume: its data is copied to the target and mounted from the
// target's `volumesDir`. One under a path the request declares shared (storage both hosts
// see) stays as it is. Any other would be restored on the target over whatever that host has
// at the path, so it is refused before anything changes.
import { z } from 'zod';

/** An absolute path, normalised: no `.` or `..` components, no trailing or doubled slashes. */
export const AbsolutePath = z
  .string()
  .max(4096)
  .regex(/^(\/[^/\0]+)+$|^\/$/, 'an absolute path without "//" or a trailing "/"')
  .refine((p) => !p.split('/').some((c) => c === '.' || c === '..'), 'a path without "." or ".." components');

/** A volume of a container, as the migration moves it. `name` is its path below `volumesDir`. */
export const VolumeRef = z.object({
  name: z.string().min(1).max(1024),
  /** Where the container sees it. */
  destination: z.string(),
  /** Its size on the source at preflight (apparent bytes). */
  bytes: z.number().nonnegative(),
});
export type VolumeRef = z.infer<typeof VolumeRef>;

/** A mount of an OCI config.json, the fields that matter here. */
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/**
 * The OCI mount that binds host directory `source` at `destination`. rbind, not bind: a
 * volume that itself holds mounts shows them too. CRIU treats a bind mount of the config as
 * external, and runc maps it again at restore from the (target's) config.
 */
export function bindMount(source: string, destination: string): Required<OciMount> {
  return { destination, type: 'bind', source, options: ['rbind', 'rw'] };
}

const isBind = (m: OciMount) => m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');

/** `child` is `parent` or lies below it. */
export function isWithin(child: string, parent: string): boolean {
  if (parent === '/') return child.startsWith('/');
  return child === parent || child.startsWith(`${parent}/`);
}

export interface MountClassification {
  volumes: { name: string; destination: string; source: string }[];
  /** Bind mounts of storage both hosts see: left as they are. */
  shared: { destination: string; source: string }[];
  /** Bind mounts that would not follow the container. */
  refused: { destination: string; source: string }[];
}

/** Sorts the bind mounts of a config into volumes, shared paths and refused ones. */
export function classifyMounts(mounts: readonly OciMount[], where: { volumesDir?: string; sharedPaths: readonly string[] }): MountClassification {
  const result: MountClassification = { volumes: [], shared: [], refused: [] };
  for (const mount of mounts) {
    if (!isBind(mount) || mount.source === undefined) continue;
    const entry = { destination: mount.destination, source: mount.source };
    // A source such as /srv/volumes/../etc is judged by what it names: not at all, refused.
    if (!AbsolutePath.safeParse(mount.source).success) result.refused.push(entry);
    else if (where.sharedPaths.some((p) => isWithin(mount.source ?? '', p))) result.shared.push(entry);
    else if (where.volumesDir && mount.source !== where.volumesDir && isWithin(mount.source, where.volumesDir)) {
      result.volumes.push({ ...entry, name: mount.source.slice(where.volumesDir.length + 1) });
    } else result.refused.push(entry);
  }
  return result;
}

/** Preflight's refusal of bind mounts that would not follow the container; null when none. */
export function bindMountProblem(input: { host: string; container: string; volumesDir?: string; refused: MountClassification['refused'] }): string | null {
  if (input.refused.length === 0) return null;
  const named = input.refused.map((m) => `${m.source} (at ${m.destination})`).join(', ');
  const where = input.volumesDir ? `under ${input.host}'s volumesDir ${input.volumesDir}` : `in a volumesDir (host ${input.host} has none)`;
  return (
    `container ${input.container} on host ${input.host} bind-mounts ${named}, which is neither a volume (${where}) ` +
    'nor declared shared; it would not follow the container. Move the data into a volume, or list the path in options.sharedPaths if both hosts see the same storage there'
  );
}

/** The target's mounts: each volume's bind source moved to the target's `volumesDir`. */
export function mountsOnTarget<M extends OciMount>(mounts: readonly M[], volumes: readonly Pick<VolumeRef, 'name' | 'destination'>[], volumesDir: string): M[] {
  return mounts.map((m) => {
    const volume = volumes.find((v) => v.destination === m.destination);
    return volume && isBind(m) ? { ...m, source: `${volumesDir}/${volume.name}` } : m;
  });
}
