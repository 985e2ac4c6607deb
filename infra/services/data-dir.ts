// A data directory's entries, and moving them into a volume: shared by the services whose data
// is made at build time (PostgreSQL, WordPress's MariaDB).
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { executeOk } from '../../runtime/exec';

/** The names in `dir`; none when it does not exist. */
export async function entries(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Moves `from`'s entries into `to`; across file systems by copying (cp -a keeps modes and owners). */
export async function moveEntries(from: string, to: string): Promise<void> {
  for (const name of await entries(from)) {
    try {
      await fs.rename(path.join(from, name), path.join(to, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await executeOk('cp', ['-a', '--', path.join(from, name), path.join(to, name)]);
      await fs.rm(path.join(from, name), { recursive: true, force: true });
    }
  }
}
