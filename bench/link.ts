// Shapes the lab link with tc netem, so strategies separate as they would between clouds.
// Each host's bridge-side veth gets the rate and delay on its egress: traffic towards a host
// crosses exactly one of them, so the rate holds each way and the round trip is twice the delay.
import { execute, executeOk } from '../runtime/exec';
import type { LabState } from '../infra/lab/state';
import type { Link } from './model';

export const LINKS: Record<string, Link> = {
  loopback: { name: 'loopback' },
  '1gbit-5ms': { name: '1gbit-5ms', rateMbit: 1000, delayMs: 5 },
  '100mbit-20ms': { name: '100mbit-20ms', rateMbit: 100, delayMs: 20 },
};

export async function shapeLink(lab: LabState, link: Link): Promise<void> {
  await clearLink(lab);
  if (link.rateMbit === undefined && link.delayMs === undefined) return;
  for (const host of lab.hosts) {
    const args = ['qdisc', 'replace', 'dev', host.veth, 'root', 'netem', 'limit', '100000'];
    if (link.rateMbit !== undefined) args.push('rate', `${link.rateMbit}mbit`);
    if (link.delayMs !== undefined) args.push('delay', `${link.delayMs}ms`);
    await executeOk('tc', args);
  }
}

export async function clearLink(lab: LabState): Promise<void> {
  // Deleting a root qdisc that is not there fails; that is fine.
  for (const host of lab.hosts) await execute('tc', ['qdisc', 'del', 'dev', host.veth, 'root']);
}

/** Seconds to push `bytes` through the link at its rate; null when unshaped. */
export function linkSeconds(link: Link, bytes: number): number | null {
  return link.rateMbit === undefined ? null : (bytes * 8) / (link.rateMbit * 1e6);
}
