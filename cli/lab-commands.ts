// `godwit lab up | down | status | run | rm` and `godwit demo`: the local lab on this machine.
import { z } from 'zod';
import { ContainerName, HostName } from '../policy/request';
import { IPv4 } from '../policy/ipv4';
import { parseVolumeArgument } from '../infra/lab/volumes';
import { defaultLabOptions, labDown, labFront, labRemove, labRun, labStatus, labUp } from '../infra/lab/lab';
import type { LabStatus } from '../infra/lab/state';
import { LabSubnets } from '../infra/lab/sites';
import { DemoResult, formatDemo, runDemo } from './demo';
import { UsageError, checkedValue, positionalsOf, readOptions } from './options';
import { EXIT, answer, type Answer } from './output';
import type { CommandContext } from './migration-commands';

export function formatLabStatus(s: LabStatus): string {
  if (!s.up) return 'lab is down';
  const lines = [`Temporal ${s.temporal?.address} (${s.temporal?.running ? 'running' : 'DOWN'}), UI ${s.temporal?.ui}; orchestrator ${s.orchestrator ? 'running' : 'DOWN'}`];
  if (s.subnets === 'per-host') lines.push('  hosts on subnets of their own, routed: containers keep no address of their own across them');
  for (const h of s.hosts) {
    const containers = h.containers.map((c) => `${c.name}(${c.status}${c.network === 'own' && c.address ? ` ${c.address}` : ''})`).join(' ') || '-';
    lines.push(`  ${h.name.padEnd(10)} ${h.address.padEnd(15)} worker ${h.worker ? 'up' : 'DOWN'}  receiver ${h.receiver ? 'up' : 'DOWN'}  containers: ${containers}${h.volumesDir ? `  volumes: ${h.volumesDir}` : ''}`);
  }
  return lines.join('\n');
}

export async function lab(args: readonly string[], _ctx: CommandContext): Promise<Answer> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'up': {
      const { values, positionals } = readOptions(rest, { hosts: 'string', ssh: 'string', front: 'boolean', subnets: 'string' });
      positionalsOf(positionals, [], 'lab up');
      const options = { ...defaultLabOptions(), front: values.front === true };
      // Without --subnets, the lab stays as it is (a new one shares one subnet).
      options.subnets = values.subnets === undefined ? undefined : checkedValue(LabSubnets, values.subnets, '--subnets');
      if (values.hosts) options.hosts = checkedValue(z.array(HostName).min(2).max(20), values.hosts.split(','), '--hosts');
      if (values.ssh) {
        options.sshHosts = checkedValue(z.array(HostName).min(1).max(20), values.ssh.split(','), '--ssh');
        const unknown = options.sshHosts.filter((h) => !options.hosts.includes(h));
        if (unknown.length > 0) throw new UsageError(`--ssh names hosts not in the lab: ${unknown.join(', ')}`);
      }
      const state = await labUp(options);
      const hosts = state.hosts.map((h) => ({ name: h.name, address: h.address, ssh: h.ssh !== null }));
      const apart = state.subnets === 'per-host' ? ' (each on a subnet of its own, routed)' : '';
      return answer(
        { temporal: { address: state.temporal.address, ui: state.temporal.ui }, subnets: state.subnets, hosts },
        `lab up: ${hosts.map((h) => `${h.name} ${h.address}`).join(', ')}${apart}; Temporal ${state.temporal.address}; UI ${state.temporal.ui}`,
      );
    }
    case 'down':
      positionalsOf(readOptions(rest, {}).positionals, [], 'lab down');
      await labDown();
      return answer({ down: true }, 'lab down');
    case 'status': {
      positionalsOf(readOptions(rest, {}).positionals, [], 'lab status');
      const s = await labStatus();
      return answer(s, formatLabStatus(s));
    }
    case 'run': {
      const { values, positionals } = readOptions(rest, { volume: 'strings', network: 'string', ip: 'string', front: 'string', 'front-mode': 'string' });
      const [hostName, container, bundle] = positionalsOf(positionals, ['host', 'container', 'bundle-dir'], 'lab run');
      const host = checkedValue(HostName, hostName, 'host');
      const name = checkedValue(ContainerName, container, 'container');
      const volumes = (values.volume ?? []).map((v) => {
        try {
          return parseVolumeArgument(v);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      });
      const network = checkedValue(z.enum(['own', 'host']), values.network ?? 'own', '--network');
      const ip = values.ip === undefined ? undefined : checkedValue(IPv4, values.ip, '--ip');
      if (ip !== undefined && network === 'host') throw new UsageError('--ip is for a container with a network of its own (--network own)');
      const front = values.front === undefined ? undefined : checkedValue(z.coerce.number().int().min(1).max(65535), values.front, '--front');
      const frontMode = checkedValue(z.enum(['http', 'tcp']), values['front-mode'] ?? 'http', '--front-mode');
      if (front !== undefined && network !== 'host') throw new UsageError('--front is for a container in its host\'s network (--network host): one with its own address keeps it, and needs no front');
      const address = await labRun(host, name, bundle, { unique: true, volumes, network, ip });
      const fronted = front === undefined ? {} : { front: await labFront(name, front, frontMode) };
      const via = 'front' in fronted ? `, and through the front at ${fronted.front}` : '';
      return answer({ host, container: name, status: 'running', volumes, network, address, ...fronted }, `${name} running on ${host} at ${address} (${network === 'own' ? 'its own address' : "the host's network"})${via}`);
    }
    case 'rm': {
      const [hostName, container] = positionalsOf(readOptions(rest, {}).positionals, ['host', 'container'], 'lab rm');
      const host = checkedValue(HostName, hostName, 'host');
      const name = checkedValue(ContainerName, container, 'container');
      await labRemove(host, name);
      return answer({ host, container: name, removed: true }, `${name} removed from ${host}`);
    }
    case undefined:
      throw new UsageError('lab needs one of: up, down, status, run, rm');
    default:
      throw new UsageError(`unknown lab command ${JSON.stringify(verb)}; one of: up, down, status, run, rm`);
  }
}

export async function demo(args: readonly string[], ctx: CommandContext): Promise<Answer> {
  const { values, positionals } = readOptions(args, { 'memory-mib': 'string' });
  positionalsOf(positionals, [], 'demo');
  const text = values['memory-mib'] ?? '256';
  const memoryMib = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(memoryMib >= 1 && memoryMib <= 16384)) throw new UsageError(`--memory-mib is a whole number of MiB from 1 to 16384, not ${JSON.stringify(text)}`);
  const result: DemoResult = await runDemo({ memoryMib }, ctx);
  const code = result.report.outcome === 'migrated' && result.counter.continued ? EXIT.ok : EXIT.failure;
  return answer(result, formatDemo(result), code);
}
