// The files nginx serves: random bytes of known SHA-256, so a client can check every body.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { promises as fs } from 'node:fs';

export interface StaticFile {
  /** The URL path, e.g. /f-07.bin. */
  urlPath: string;
  size: number;
  sha256: string;
}

/**
 * Sizes from 1 byte to `maxBytes`, spread evenly on a log scale: small bodies (one packet)
 * and large ones (many, sent with sendfile while a dump may freeze the worker midway).
 */
export function staticFileSizes(count: number, maxBytes: number): number[] {
  if (count < 1) return [];
  if (count === 1) return [maxBytes];
  return Array.from({ length: count }, (_, i) => Math.max(1, Math.round(Math.pow(maxBytes, i / (count - 1)))));
}

/** Writes `count` files of fresh random bytes into `dir` (made if missing) and returns them. */
export async function writeStaticFiles(dir: string, count: number, maxBytes: number): Promise<StaticFile[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: StaticFile[] = [];
  for (const [i, size] of staticFileSizes(count, maxBytes).entries()) {
    const name = `f-${String(i).padStart(2, '0')}.bin`;
    const body = randomBytes(size);
    await fs.writeFile(path.join(dir, name), body);
    files.push({ urlPath: `/${name}`, size, sha256: createHash('sha256').update(body).digest('hex') });
  }
  return files;
}
