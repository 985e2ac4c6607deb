// Keeps new clients off a frozen container. A frozen process's listening socket still
// completes TCP handshakes (the kernel answers from the backlog), so a client that connects
// during the final dump hangs on a copy that will never serve it instead of failing over to
// the live one. From the freeze, SYNs to the container's own listening ports are refused
// (TCP reset) or dropped in the host's INPUT chain; every rule carries a comment naming the
// tag, which is how a retry finds what an earlier attempt left and how unfence removes it.
import { CommandError, type ExecOptions, type ExecResult } from './exec';
import type { HostRuntime } from './host-runtime';
import type { IpFamily, ListeningPort } from './proc-net';
import { checkTag, fenceRulesFor, installedRules, planFence, ruleArgs, type FenceMode, type FenceRule } from './fence-rules';

export type { FenceMode, FenceRule };

/** Debian's iptables package (infra/bootstrap.sh installs it; CRIU needs it too). */
export interface FenceTools {
  iptables: string;
  iptablesSave: string;
  ip6tables: string;
  ip6tablesSave: string;
}

export const FENCE_TOOLS: FenceTools = {
  iptables: '/usr/sbin/iptables',
  iptablesSave: '/usr/sbin/iptables-save',
  ip6tables: '/usr/sbin/ip6tables',
  ip6tablesSave: '/usr/sbin/ip6tables-save',
};

/** Wait for the xtables lock (legacy iptables), but not forever: a stuck holder fails the step. */
const WAIT = ['-w', '10'];

export interface FenceRequest {
  ports: readonly ListeningPort[];
  mode: FenceMode;
  /** Names the rules (see fenceTag); the same tag on a retry finds them again. */
  tag: string;
  tools?: FenceTools;
}

/** IPv6 rules need ip6tables; when it cannot run there, IPv6 listeners stay open. */
export type Ipv6Fence = { available: true } | { available: false; reason: string; unfenced: FenceRule[] };

export interface FenceResult {
  added: FenceRule[];
  /** Already in place: an earlier attempt put them there. */
  kept: FenceRule[];
  /** Rules of the tag that were not wanted any more (another mode, a port no longer listened on). */
  removed: number;
  ipv6: Ipv6Fence;
}

interface Family {
  family: IpFamily;
  command: string;
  save: string;
}

function families(tools: FenceTools): Family[] {
  return [
    { family: 'ipv4', command: tools.iptables, save: tools.iptablesSave },
    { family: 'ipv6', command: tools.ip6tables, save: tools.ip6tablesSave },
  ];
}

/**
 * The filter table as iptables-save prints it. IPv4 must work (the host is broken without
 * it); IPv6 may be missing: no ip6tables (a failed start, or 127 from a remote shell) or a
 * kernel without IPv6, where nothing can listen on IPv6 either.
 */
async function readTable(rt: HostRuntime, f: Family, options?: ExecOptions): Promise<{ save: string } | { reason: string }> {
  let result: ExecResult;
  try {
    result = await rt.execute(f.save, ['-t', 'filter'], options);
  } catch (err) {
    if (f.family === 'ipv4' || !(err instanceof CommandError)) throw err;
    return { reason: err.message };
  }
  if (result.code === 0) return { save: result.stdout };
  if (f.family === 'ipv4') throw new CommandError(f.save, ['-t', 'filter'], result);
  return { reason: `${f.save} exited with ${result.code}: ${(result.stderr.trim() || result.stdout.trim()).split('\n').slice(-1)[0] ?? ''}` };
}

/** `-D` of a rule that is gone already (another attempt removed it meanwhile) is not a failure. */
async function deleteRule(rt: HostRuntime, f: Family, spec: readonly string[], options?: ExecOptions): Promise<void> {
  const args = [...WAIT, '-D', 'INPUT', ...spec];
  const result = await rt.execute(f.command, args, options);
  if (result.code === 0) return;
  if (result.code === 1 && /Bad rule|does a matching rule exist|No chain\/target\/match/.test(result.stderr)) return;
  throw new CommandError(f.command, args, result);
}

/**
 * Refuses (`reject`) or drops (`drop`) new TCP connections to `ports`, IPv4 and IPv6, in the
 * host's INPUT chain, ahead of its other rules. Idempotent: afterwards exactly the wanted
 * rules carry `tag`, whatever an earlier attempt left (new rules go in before stale ones
 * come out, so a port never opens in between). Commands: one iptables-save per family, then
 * one iptables per rule added or removed, the two families side by side.
 */
export async function fenceConnections(rt: HostRuntime, request: FenceRequest, options?: ExecOptions): Promise<FenceResult> {
  const tag = checkTag(request.tag);
  const wanted = fenceRulesFor(request.ports, request.mode);
  const result: FenceResult = { added: [], kept: [], removed: 0, ipv6: { available: true } };
  await Promise.all(
    families(request.tools ?? FENCE_TOOLS).map(async (f) => {
      const mine = wanted.filter((r) => r.family === f.family);
      const table = await readTable(rt, f, options);
      if ('reason' in table) {
        result.ipv6 = { available: false, reason: table.reason, unfenced: mine };
        return;
      }
      const plan = planFence(mine, installedRules(table.save, f.family, tag));
      for (const rule of plan.add) await rt.executeOk(f.command, [...WAIT, '-I', 'INPUT', ...ruleArgs(rule, tag)], options);
      for (const stale of plan.remove) await deleteRule(rt, f, stale.spec, options);
      result.added.push(...plan.add);
      result.kept.push(...plan.kept);
      result.removed += plan.remove.length;
    }),
  );
  return result;
}

export interface UnfenceResult {
  removed: number;
  /** False when ip6tables cannot run there (then no IPv6 rule can have been added either). */
  ipv6: boolean;
}

/**
 * Removes every rule that carries `tag`, IPv4 and IPv6, by the spec iptables-save prints for
 * it (so even a rule edited by hand goes). Nothing there, or gone meanwhile, is fine.
 */
export async function unfenceConnections(rt: HostRuntime, tag: string, tools: FenceTools = FENCE_TOOLS, options?: ExecOptions): Promise<UnfenceResult> {
  checkTag(tag);
  const result: UnfenceResult = { removed: 0, ipv6: true };
  await Promise.all(
    families(tools).map(async (f) => {
      const table = await readTable(rt, f, options);
      if ('reason' in table) {
        result.ipv6 = false;
        return;
      }
      const rules = installedRules(table.save, f.family, tag);
      for (const rule of rules) await deleteRule(rt, f, rule.spec, options);
      result.removed += rules.length;
    }),
  );
  return result;
}
