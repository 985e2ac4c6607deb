import { existsSync } from 'node:fs';
import path from 'node:path';

/** The checkout's root (where package.json is), whether we run from dist/ or from sources. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
