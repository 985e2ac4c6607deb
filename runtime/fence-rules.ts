// Pure side of the connection fence: which iptables rules keep new clients off a frozen
// container's listening ports, their argument vectors, and reading back the ones in place
// from iptables-save output. The I/O is in connection-fence.ts.
import { canonicalIpv6, type IpFamily, type ListeningPort } from './proc-net';

/** `reject` answers a SYN with a TCP reset (the client fails at once); `drop` ignores it. */
export type FenceMode = 'reject' | 'drop';

export interface FenceRule {
  family: IpFamily;
  /** Destination address, or null for any (a listener on 0.0.0.0 or ::). */
  address: string | null;
  port: number;
  mode: FenceMode;
}

/** A rule with the tag found in the INPUT chain: what it stands for, and its spec to delete it. */
export interface InstalledRule {
  /** Null when the rule has the tag but not the shape this module writes (edited by hand). */
  rule: FenceRule | null;
  /** Its arguments after `-A INPUT`, as iptables-save printed them: `-D INPUT ...spec` removes it. */
  spec: string[];
}

/**
 * Tags go into an iptables comment (at most 255 bytes) and come back through iptables-save's
 * quoting: a plain character set keeps that round trip exact. runc's container names fit.
 */
const TAG = /^[A-Za-z0-9_.+:@-]{1,255}$/;

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) throw new Error(`fence tag ${JSON.stringify(tag)} must be 1-255 characters of A-Z a-z 0-9 _ . + : @ -`);
  return tag;
}

/** The tag of a container's fence: names it in `iptables -L` for whoever wonders why. */
export function fenceTag(container: string): string {
  return checkTag(`godwit-fence:${container}`);
}

const isAny = (p: ListeningPort) => p.address === '0.0.0.0' || p.address === '::';

/**
 * The rules that fence `ports`, each once. A listener on `::` gets an IPv4 rule as well: an
 * IPv6 socket bound to every address takes IPv4 clients too unless it set IPV6_V6ONLY, which
 * /proc does not show, and then no IPv4 socket of the host can hold that port anyway.
 */
export function fenceRulesFor(ports: readonly ListeningPort[], mode: FenceMode): FenceRule[] {
  const rules = new Map<string, FenceRule>();
  const add = (family: IpFamily, address: string | null, port: number) => rules.set(ruleKey({ family, address, port, mode }), { family, address, port, mode });
  for (const p of ports) {
    add(p.family, isAny(p) ? null : p.address, p.port);
    if (p.family === 'ipv6' && isAny(p)) add('ipv4', null, p.port);
  }
  return [...rules.values()];
}

export function ruleKey(rule: FenceRule): string {
  return `${rule.family} ${rule.address ?? '*'} ${rule.port} ${rule.mode}`;
}

/**
 * The rule's arguments after the chain name. `--syn` (SYN set; ACK, RST, FIN clear): only a
 * client's first packet, so connections already established, which CRIU dumps and closes
 * itself, are left alone; so is everything the host itself listens on at other ports.
 */
export function ruleArgs(rule: FenceRule, tag: string): string[] {
  const destination = rule.address === null ? [] : ['-d', `${rule.address}/${rule.family === 'ipv4' ? 32 : 128}`];
  const verdict = rule.mode === 'reject' ? ['-j', 'REJECT', '--reject-with', 'tcp-reset'] : ['-j', 'DROP'];
  return [...destination, '-p', 'tcp', '--dport', String(rule.port), '--syn', '-m', 'comment', '--comment', checkTag(tag), ...verdict];
}

/** One line of iptables-save as its words: double quotes group, a backslash escapes. */
export function splitSaveLine(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (c === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (!quoted && /\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

const valueAfter = (words: readonly string[], flag: string): string | undefined => {
  const i = words.indexOf(flag);
  return i < 0 ? undefined : words[i + 1];
};

/** What an INPUT rule of ours stands for, if it has the shape `ruleArgs` gives it. */
function readRule(spec: readonly string[], family: IpFamily): FenceRule | null {
  const port = Number(valueAfter(spec, '--dport'));
  const target = valueAfter(spec, '-j');
  const mode: FenceMode | null = target === 'DROP' ? 'drop' : target === 'REJECT' && valueAfter(spec, '--reject-with') === 'tcp-reset' ? 'reject' : null;
  const syn = valueAfter(spec, '--tcp-flags') === 'FIN,SYN,RST,ACK' && spec[spec.indexOf('--tcp-flags') + 2] === 'SYN';
  if (!Number.isInteger(port) || mode === null || !syn || valueAfter(spec, '-p') !== 'tcp') return null;
  const destination = valueAfter(spec, '-d');
  if (destination === undefined) return { family, address: null, port, mode };
  const [address, length] = destination.split('/');
  if (length !== (family === 'ipv4' ? '32' : '128')) return null;
  return { family, address: family === 'ipv6' ? canonicalIpv6(address) : address, port, mode };
}

/** The INPUT rules of the filter table in `save` (iptables-save output) that carry `tag`. */
export function installedRules(save: string, family: IpFamily, tag: string): InstalledRule[] {
  const found: InstalledRule[] = [];
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    if (table !== 'filter' || !line.startsWith('-A INPUT ')) continue;
    const words = splitSaveLine(line);
    if (valueAfter(words, '--comment') !== tag) continue;
    const spec = words.slice(2);
    found.push({ rule: readRule(spec, family), spec });
  }
  return found;
}

export interface FencePlan {
  add: FenceRule[];
  /** Rules of the tag that are not wanted: another mode, a port no longer listened on, a duplicate. */
  remove: InstalledRule[];
  kept: FenceRule[];
}

/** From the rules in place to exactly `wanted`: a retry adds nothing that is there already. */
export function planFence(wanted: readonly FenceRule[], installed: readonly InstalledRule[]): FencePlan {
  const plan: FencePlan = { add: [], remove: [], kept: [] };
  const left = [...installed];
  for (const rule of wanted) {
    const i = left.findIndex((r) => r.rule !== null && ruleKey(r.rule) === ruleKey(rule));
    if (i < 0) plan.add.push(rule);
    else plan.kept.push(left.splice(i, 1)[0].rule ?? rule);
  }
  plan.remove = left;
  return plan;
}
