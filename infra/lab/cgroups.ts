import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';

/**
 * Removes a lab host's (now empty) parent cgroup from every hierarchy: the cgroup v1
 * controllers and the unified one. runc removes each container's own cgroup; the parent
 * it created on the way stays behind otherwise.
 */
export function removeCgroupParent(parent: string): void {
  const hierarchies = [ROOT, ...readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(ROOT, e.name))];
  for (const hierarchy of hierarchies) {
    const dir = path.join(hierarchy, parent);
    if (!existsSync(dir)) continue;
    try {
      rmdirSync(dir);
    } catch {
      // Busy (a container still lives there) or not ours to remove: leave it.
    }
  }
}
