// `godwit lab run --volume NAME:/path`: a directory of the host's volumesDir, bind-mounted
// into the container, so its data moves with it (see policy/volumes.ts).
import path from 'node:path';
import { z } from 'zod';
import type { HostRuntime } from '../../runtime/host-runtime';
import { AbsolutePath, bindMount } from '../../policy/volumes';

export const LabVolume = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a volume name is 1-63 letters, digits, "_", "." or "-", starting with a letter or digit'),
    /** Where the container sees it. */
    path: AbsolutePath.refine((p) => p !== '/', 'a volume cannot be mounted at /'),
  })
  .strict();
export type LabVolume = z.infer<typeof LabVolume>;

/** `NAME:/path/in/container`, as the CLI takes it. */
export function parseVolumeArgument(text: string): LabVolume {
  const colon = text.indexOf(':');
  if (colon === -1) throw new Error(`--volume ${JSON.stringify(text)}: write NAME:/path/in/container`);
  const parsed = LabVolume.safeParse({ name: text.slice(0, colon), path: text.slice(colon + 1) });
  if (!parsed.success) throw new Error(`--volume ${JSON.stringify(text)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

interface MountingConfig {
  mounts?: { destination: string; type?: string; source?: string; options?: string[] }[];
  [key: string]: unknown;
}

/** Creates each volume under `dir` (kept if it exists) and adds its bind mount to the bundle's config.json. */
export async function bindVolumes(rt: HostRuntime, bundle: string, dir: string, volumes: readonly LabVolume[]): Promise<void> {
  const file = path.join(bundle, 'config.json');
  const config = JSON.parse((await rt.readFile(file)).toString('utf8')) as MountingConfig;
  const mounts = (config.mounts ?? []).filter((m) => !volumes.some((v) => v.path === m.destination));
  for (const volume of volumes) {
    const source = path.join(dir, volume.name);
    await rt.mkdirp(source);
    mounts.push(bindMount(source, volume.path));
  }
  await rt.writeFile(file, `${JSON.stringify({ ...config, mounts }, null, 2)}\n`);
}
