// Where a post-copy source serves its pages, carried to the target with the images. The
// target's lazy-pages daemon is scheduled with the dump (workflows/freeze-path.ts), before the
// workflow learns the dump's result: the images are the one thing it waits for anyway.
import path from 'node:path';
import { PageServerEndpoint } from '../../policy/host-contract';
import type { HostRuntime } from '../../runtime/host-runtime';

/** Beside CRIU's images, which CRIU ignores: it reads only the image files it knows. */
const FILE = 'godwit-page-server.json';

export function writeLazyEndpoint(rt: HostRuntime, imagesDir: string, endpoint: PageServerEndpoint): Promise<void> {
  return rt.writeFile(path.join(imagesDir, FILE), JSON.stringify(endpoint));
}

/** The endpoint the source wrote; throws, naming the file, when it is missing or not one. */
export async function readLazyEndpoint(rt: HostRuntime, imagesDir: string): Promise<PageServerEndpoint> {
  const file = path.join(imagesDir, FILE);
  if (!(await rt.exists(file))) throw new Error(`the images in ${imagesDir} do not say where the source serves its pages (no ${FILE})`);
  const parsed = PageServerEndpoint.safeParse(JSON.parse((await rt.readFile(file)).toString('utf8')));
  if (!parsed.success) throw new Error(`${file} does not name a page server: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
