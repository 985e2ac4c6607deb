// What must hold after any failure, anywhere: the container runs exactly once, its state
// went on, and nothing of the migration is left behind.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { LabHostState, LabState } from '../../infra/lab/state';
import type { MigrationReport } from '../../policy/report';
import type { Workload } from '../e2e/lab';
import { leftovers, statusOn } from '../e2e/lab';

export interface Settled {
  /** Where the container runs, or a description of what is wrong. */
  where: string;
  counterAfter: number | null;
  leftovers: string[];
  violations: string[];
}

/** `kept`: images the report says it left on purpose; anything else of the run is a leftover. */
export async function checkInvariant(lab: LabState, w: Workload, counterBefore: number, kept: MigrationReport['keptImages'] = []): Promise<Settled> {
  const violations: string[] = [];
  const statuses = await Promise.all(lab.hosts.map(async (h) => ({ host: h, status: await statusOn(h, w.container) })));
  const running = statuses.filter((s) => s.status === 'running');
  const others = statuses.filter((s) => s.status !== 'running' && s.status !== 'absent');
  if (running.length !== 1) violations.push(`running on ${running.length} hosts (${statuses.map((s) => `${s.host.name}:${s.status}`).join(', ')})`);
  // A frozen or stopped copy left anywhere is a leftover, even if another copy runs.
  for (const s of others) violations.push(`a ${s.status} copy is left on ${s.host.name}`);
  let counterAfter: number | null = null;
  if (running.length === 1) {
    counterAfter = await w.counterOn(running[0].host).catch(() => null);
    if (counterAfter === null) violations.push('the running copy does not answer');
    else if (counterAfter <= counterBefore) violations.push(`the counter went from ${counterBefore} to ${counterAfter}`);
  }
  const isKept = (h: LabHostState, entry: string) => kept.some((k) => k.host === h.name && k.path === path.join(h.stateDir, entry));
  const left = (await Promise.all(lab.hosts.map(async (h) => (await leftovers(h)).filter((l) => !isKept(h, l)).map((l) => `${h.name}:${l}`)))).flat();
  for (const k of kept) if (!existsSync(k.path)) violations.push(`the report says images were kept at ${k.host}:${k.path}, but they are not there`);
  if (left.length > 0) violations.push(`left behind: ${left.join(', ')}`);
  return { where: running.length === 1 ? running[0].host.name : 'nowhere', counterAfter, leftovers: left, violations };
}
