// A standalone check of one service bundle, outside the lab: run it with runc under a state
// root of its own in this machine's network namespace, drive its client, checkpoint it as a
// migration's source does (pause, dump leaving it frozen, destroy the frozen copy), restore
// it from the images, let the client carry on, and verify that every acknowledged write (or
// every body) is there.
//
//   node dist/infra/services/trial.js --kind postgres --port 17310 [--seconds 4] [--volume]
//
// Prints one JSON report on stdout. Uses ports the caller picks and names everything
// svc-trial-<kind>, under /run/godwit-svc-trial and $GODWIT_HOME/services/trial, so it
// stays out of the lab's way.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { LocalRuntime } from '../../runtime/local';
import { Runc } from '../../runtime/runc';
import { execute, executeOk } from '../../runtime/exec';
import { placeBundle } from '../../runtime/bundle';
import { parseDumpStats } from '../../runtime/criu-stats';
import { godwitHome } from '../lab/state';
import { tools } from '../lab/tools';
import { buildServiceBundle, type ServiceBundle, type ServiceKind } from './bundle';
import { connectTcp } from './clients/tcp';
import { RedisWriter } from './clients/redis-writer';
import { PgWriter } from './clients/pg-writer';
import { HttpReaders } from './clients/http-readers';
import type { ClientReport, VerifyReport } from './clients/report';

const Args = z.object({
  kind: z.enum(['redis', 'postgres', 'nginx']),
  port: z.coerce.number().int().min(1).max(65535),
  seconds: z.coerce.number().positive().default(4),
  volume: z.boolean().default(false),
  keep: z.boolean().default(false),
});

const ADDRESS = '127.0.0.1';
const RUNC_ROOT = '/run/godwit-svc-trial';
const CGROUP_PARENT = 'godwit-svc-trial';

interface Client {
  progress(): ClientReport;
  stop(): Promise<ClientReport>;
  verify(address: string): Promise<VerifyReport<number | string>>;
}

function startClient(service: ServiceBundle): Client {
  // Both loopback addresses reach the server (it listens on 0.0.0.0): the client's address
  // rotation is exercised as after a real migration.
  const common = { addresses: [ADDRESS, '127.0.0.2'], port: service.port };
  switch (service.kind) {
    case 'redis':
      return new RedisWriter(common);
    case 'postgres':
      return new PgWriter(common);
    case 'nginx':
      return new HttpReaders({ ...common, files: service.staticFiles, concurrency: 4 });
    case 'wordpress':
      throw new Error('the trial has no client for wordpress');
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await connectTcp(ADDRESS, port, 500)).destroy();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const value = await work();
  return [value, Number(process.hrtime.bigint() - started) / 1e9];
}

/** The container's processes as ps shows them: every one must be uid 0 for CRIU here. */
async function processTree(pid: number): Promise<string[]> {
  const result = await execute('ps', ['-o', 'pid,uid,nlwp,rss,args', '--ppid', String(pid), '-p', String(pid)]);
  return result.stdout.trim().split('\n');
}

async function du(dir: string): Promise<string> {
  return (await execute('du', ['-sh', dir])).stdout.split('\t')[0];
}

/** runc removes a container's cgroups, not the parent directories it made for them. */
async function removeCgroupParent(parent: string): Promise<void> {
  for (const controller of await fs.readdir('/sys/fs/cgroup').catch(() => [])) {
    await fs.rmdir(path.join('/sys/fs/cgroup', controller, parent)).catch(() => undefined);
  }
  await fs.rmdir(path.join('/sys/fs/cgroup', parent)).catch(() => undefined); // cgroup v2
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kind: { type: 'string' }, port: { type: 'string' }, seconds: { type: 'string' }, volume: { type: 'boolean' }, keep: { type: 'boolean' } },
  });
  const args = Args.parse(values);
  const kind: ServiceKind = args.kind;
  const name = `svc-trial-${kind}`;
  const work = path.join(godwitHome(), 'services', 'trial', name);
  await fs.rm(work, { recursive: true, force: true });
  await fs.mkdir(work, { recursive: true });
  const rt = new LocalRuntime();
  const runc = new Runc(rt, { runc: tools().runc, criu: tools().criu, root: RUNC_ROOT, criuConfig: path.join(RUNC_ROOT, 'criu.conf') });
  await fs.mkdir(RUNC_ROOT, { recursive: true });
  await runc.destroy(name); // a trial cut short before

  // This machine's own network namespace, by a path as the lab names a host's (runc then
  // treats it as external at checkpoint and restore, as in a migration). /proc/1/ns/net is
  // not readable here, so the namespace gets a name of its own: a bind mount of ours.
  const netns = path.join(RUNC_ROOT, `netns-${name}`);
  const report: Record<string, unknown> = { kind, port: args.port };
  let bundle: string | null = null;
  let client: Client | null = null;
  let ok = false;
  try {
    await execute('umount', [netns]); // left by a trial cut short, or nothing
    await fs.writeFile(netns, '');
    await executeOk('mount', ['--bind', '/proc/self/ns/net', netns]);

    const dataDir = args.volume ? path.join(work, 'volume') : undefined;
    const [service, buildSeconds] = await timed(() => buildServiceBundle(kind, { name, port: args.port, dataDir }));
    bundle = service.bundle;
    await placeBundle(rt, service.bundle, name, { netnsPath: netns, cgroupParent: CGROUP_PARENT });
    Object.assign(report, { volume: dataDir ?? null, buildSeconds });

    const [, startSeconds] = await timed(async () => {
      await runc.run(name, service.bundle, path.join(work, 'run.log'));
      await waitForPort(args.port, 30_000);
    });
    report.startSeconds = startSeconds;
    const state = await runc.state(name);
    report.processesBefore = state ? await processTree(state.pid) : [];
    client = startClient(service);
    await sleep(args.seconds * 1000);

    const images = path.join(work, 'images');
    const [, pauseDumpSeconds] = await timed(async () => {
      await runc.pause(name);
      await runc.checkpoint(name, { imagePath: images, workPath: path.join(work, 'dump') });
    });
    await runc.destroy(name);
    const [, restoreSeconds] = await timed(() => runc.restore(name, { bundle: service.bundle, imagePath: images, workPath: path.join(work, 'restore') }));
    const atRestore = client.progress().acknowledged;
    report.pauseDumpSeconds = pauseDumpSeconds;
    report.restoreSeconds = restoreSeconds;
    report.imagesSize = await du(images);
    const stats = parseDumpStats(await fs.readFile(path.join(work, 'dump', 'stats-dump')));
    report.dumpStats = { frozenMs: stats.frozenMicros / 1000, memdumpMs: stats.memdumpMicros / 1000, pagesWritten: stats.pagesWritten };
    const restored = await runc.state(name);
    report.processesAfter = restored ? await processTree(restored.pid) : [];

    await sleep(args.seconds * 1000);
    const final = await client.stop();
    // The client carried on: what the restored copy acknowledged.
    report.client = { ...final, acknowledgedAfterRestore: final.acknowledged - atRestore };
    const verify = await client.verify(ADDRESS);
    client = null;
    report.verify = { ...verify, missing: verify.missing.slice(0, 20), missingCount: verify.missing.length };
    ok = true;
  } finally {
    if (client) await client.stop();
    await runc.destroy(name);
    await execute('umount', [netns]);
    await fs.rm(netns, { force: true });
    // A failed trial keeps its bundle and CRIU's logs (dump/dump.log, restore/restore.log).
    if (ok && !args.keep) {
      if (bundle) await fs.rm(bundle, { recursive: true, force: true });
      await fs.rm(work, { recursive: true, force: true });
      await removeCgroupParent(CGROUP_PARENT);
    } else process.stderr.write(`trial: kept ${bundle ?? '(no bundle)'} and ${work}\n`);
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`trial: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
