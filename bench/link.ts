// Shapes the lab link with tc, so strategies separate as they would between clouds. Each
// host's bridge-side veth shapes its egress: traffic towards a host crosses exactly one of
// them, so the rate holds each way (and a netem delay counts once each way).
// Rate alone uses HTB; delay needs netem, which some kernels lack (this machine's does:
// CONFIG_NET_SCH_NETEM is not set), so the delayed links are asked for only by name.
import { execute, executeOk } from '../runtime/exec';
import type { LabState } from '../infra/lab/state';
import type { Link } from './model';

export const LINKS: Record<string, Link> = {
  loopback: { name: 'loopback' },
  '1gbit': { name: '1gbit', rateMbit: 1000 },
  '100mbit': { name: '100mbit', rateMbit: 100 },
  '1gbit-5ms': { name: '1gbit-5ms', rateMbit: 1000, delayMs: 5 },
  '100mbit-20ms': { name: '100mbit-20ms', rateMbit: 100, delayMs: 20 },
};

/** Whether this kernel can delay packets (sch_netem); tried on a lab veth and removed. */
export async function netemAvailable(lab: LabState): Promise<boolean> {
  const dev = lab.hosts[0].veth;
  const added = (await execute('tc', ['qdisc', 'replace', 'dev', dev, 'root', 'netem', 'delay', '1ms'])).code === 0;
  await clearLink(lab);
  return added;
}

export async function shapeLink(lab: LabState, link: Link): Promise<void> {
  await clearLink(lab);
  for (const host of lab.hosts) {
    const dev = host.veth;
    if (link.delayMs !== undefined) {
      const args = ['qdisc', 'replace', 'dev', dev, 'root', 'netem', 'limit', '100000', 'delay', `${link.delayMs}ms`];
      if (link.rateMbit !== undefined) args.push('rate', `${link.rateMbit}mbit`);
      await executeOk('tc', args);
    } else if (link.rateMbit !== undefined) {
      await executeOk('tc', ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '10']);
      const rate = `${link.rateMbit}mbit`;
      await executeOk('tc', ['class', 'add', 'dev', dev, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', rate, 'ceil', rate]);
    }
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
