#!/usr/bin/env node
// godwit: live-migrate running containers between hosts.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ContainerName, HostName, describeZodError } from '../policy/request';
import { labDown, labRemove, labRun, labStatus, labUp, defaultLabOptions } from '../infra/lab/lab';
import { connectClient } from './client';
import { UserError, abortMigration, followMigration, listMigrations, migrationHandle, resultOf, startMigration } from './migrations';
import { formatProgress, formatReport } from './format';
import { progressQuery } from '../workflows/definitions';
import { runDemo } from './demo';
import { parseMigrateArgs } from './migrate-args';
import { parseRebalanceArgs, parseScheduleArgs } from './rebalance-args';
import { formatRebalanceReport, rebalanceExitCode, rebalanceRequestFromArgs, rebalanceResult, runScheduleAction, scheduleActionOf, startRebalance } from './rebalancing';

const USAGE = `usage:
  godwit migrate <container> --from <host> --to <host> [--strategy auto|page-server|stop-and-copy|pre-copy|post-copy]
                 [--health-check CMD]... [--max-downtime SECONDS] [--allow-experimental]
                 [--transport plain|ssh-tunnel|criu-tls] [--host-timeout SECONDS] [--keep-images] [--detach] [--json]
  godwit status <container> [--json]      phase and progress of the container's migration
  godwit abort <container> [--reason TEXT]
  godwit list [--json]                    recent migrations
  godwit rebalance [--dry-run] [--policy FILE] [--max-concurrent N] [--strategy S]
                                          move containers from over- to under-used hosts, now
  godwit schedule rebalance --every DURATION [--dry-run] [--policy FILE] [--max-concurrent N] [--strategy S]
                                          create or update the rebalance schedule (DURATION: 30s, 15m, 1h, 1h30m)
  godwit schedule list
  godwit schedule pause|unpause|delete|trigger [ID]   ID defaults to godwit-rebalance
  godwit lab up [--hosts alpha,beta] [--ssh alpha,beta]
                                          start the local lab (Temporal dev server, hosts, workers);
                                          --ssh hosts get sshd and a gateway worker instead of their own
  godwit lab down                         remove everything the lab made
  godwit lab status [--json]
  godwit lab run <host> <container> <bundle-dir>   start any OCI bundle on a lab host
  godwit lab rm <host> <container>
  godwit demo [--memory-mib 256] [--json]`;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UserError(`${what}: ${describeZodError(result.error)}`);
  return result.data;
}

async function withClient<T>(fn: (client: Awaited<ReturnType<typeof connectClient>>['client']) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient();
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

async function migrate(args: string[]): Promise<number> {
  const { request, detach, json } = parseMigrateArgs(args);
  return withClient(async (client) => {
    const handle = await startMigration(client, request);
    if (detach) {
      console.log(json ? JSON.stringify({ workflowId: handle.workflowId }) : `started ${handle.workflowId}`);
      return 0;
    }
    const report = await followMigration(handle, json ? undefined : (p) => console.error(`  ${formatProgress(p)}`));
    console.log(json ? JSON.stringify(report) : formatReport(report));
    return report.outcome === 'migrated' ? 0 : report.outcome === 'rolled-back' ? 2 : 1;
  });
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const container = parse(ContainerName, positionals[0], 'container');
  return withClient(async (client) => {
    const handle = migrationHandle(client, container);
    const description = await handle.describe().catch(() => null);
    if (!description) throw new UserError(`no migration of ${container} found`);
    if (description.status.name === 'RUNNING') {
      const progress = await handle.query(progressQuery);
      console.log(values.json ? JSON.stringify(progress) : formatProgress(progress));
    } else {
      const report = await resultOf(handle);
      console.log(values.json ? JSON.stringify(report) : formatReport(report));
    }
    return 0;
  });
}

async function lab(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { hosts: { type: 'string' }, ssh: { type: 'string' } } });
      const options = defaultLabOptions();
      if (values.hosts) options.hosts = parse(z.array(HostName).min(2).max(20), values.hosts.split(','), '--hosts');
      if (values.ssh) {
        options.sshHosts = parse(z.array(HostName).min(1).max(20), values.ssh.split(','), '--ssh');
        const unknown = options.sshHosts.filter((h) => !options.hosts.includes(h));
        if (unknown.length > 0) throw new UserError(`--ssh names hosts not in the lab: ${unknown.join(', ')}`);
      }
      const state = await labUp(options);
      console.log(`lab up: ${state.hosts.map((h) => `${h.name} ${h.address}`).join(', ')}; Temporal ${state.temporal.address}; UI ${state.temporal.ui}`);
      return 0;
    }
    case 'down':
      await labDown();
      return 0;
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const s = await labStatus();
      if (values.json) print(s);
      else if (!s.up) console.log('lab is down');
      else {
        console.log(`Temporal ${s.temporal?.address} (${s.temporal?.running ? 'running' : 'DOWN'}), UI ${s.temporal?.ui}; orchestrator ${s.orchestrator ? 'running' : 'DOWN'}`);
        for (const h of s.hosts) {
          const containers = h.containers.map((c) => `${c.name}(${c.status})`).join(' ') || '-';
          console.log(`  ${h.name.padEnd(10)} ${h.address.padEnd(15)} worker ${h.worker ? 'up' : 'DOWN'}  receiver ${h.receiver ? 'up' : 'DOWN'}  containers: ${containers}`);
        }
      }
      return 0;
    }
    case 'run': {
      const [host, container, bundle] = rest;
      if (!bundle) throw new UserError('lab run needs <host> <container> <bundle-dir>');
      await labRun(parse(HostName, host, 'host'), parse(ContainerName, container, 'container'), bundle);
      console.log(`${container} running on ${host}`);
      return 0;
    }
    case 'rm': {
      const [host, container] = rest;
      await labRemove(parse(HostName, host, 'host'), parse(ContainerName, container, 'container'));
      return 0;
    }
    default:
      throw new UserError(USAGE);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'migrate':
      return migrate(args);
    case 'status':
      return status(args);
    case 'abort': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { reason: { type: 'string' } } });
      const container = parse(ContainerName, positionals[0], 'container');
      const accepted = await withClient((client) => abortMigration(client, container, values.reason));
      console.log(`abort accepted during ${accepted.phase}; rolling back to the source`);
      return 0;
    }
    case 'list': {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
      const list = await withClient((client) => listMigrations(client));
      if (values.json) print(list);
      else for (const m of list) console.log(`${m.workflowId.padEnd(40)} ${m.status.padEnd(12)} ${m.startTime}`);
      return 0;
    }
    case 'rebalance': {
      // Flags and any --policy file are checked before connecting.
      const request = rebalanceRequestFromArgs(parseRebalanceArgs(args));
      return withClient(async (client) => {
        const handle = await startRebalance(client, request);
        console.error(`started ${handle.workflowId}; waiting for its report`);
        const report = await rebalanceResult(handle);
        console.log(formatRebalanceReport(report));
        return rebalanceExitCode(report);
      });
    }
    case 'schedule': {
      const action = scheduleActionOf(parseScheduleArgs(args));
      console.log(await withClient((client) => runScheduleAction(client, action)));
      return 0;
    }
    case 'lab':
      return lab(args);
    case 'demo': {
      const { values } = parseArgs({ args, options: { 'memory-mib': { type: 'string' }, json: { type: 'boolean' } } });
      const memoryMib = parse(z.coerce.number().int().min(1).max(16384), values['memory-mib'] ?? '256', '--memory-mib');
      const result = await runDemo({ memoryMib, json: values.json ?? false });
      if (values.json) console.log(JSON.stringify(result));
      return result.report.outcome === 'migrated' && result.counter.continued ? 0 : 1;
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      throw new UserError(`unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UserError || (err instanceof Error && err.name === 'TypeError' && 'code' in err)) console.error(`godwit: ${err.message}`);
    else console.error(`godwit: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
