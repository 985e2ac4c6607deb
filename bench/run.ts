// `npm run bench`: Godwit against a bare script of the same steps, per strategy, memory size,
// workload, link and transport, with a probe measuring what a client sees. Writes bench/results/<date>.
// {json,md,svg} and prints one JSON line with the ratios. Progress goes to stderr.
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { defaultLabOptions, labRemove, labRun, labUp, hostConfig, type LabOptions } from '../infra/lab/lab';
import type { LabState } from '../infra/lab/state';
import { waitFor } from '../infra/lab/processes';
import { buildWorkloadBundle, readCounter } from '../infra/demo/workload';
import { tools } from '../infra/lab/tools';
import { connectToLab } from '../infra/lab/client';
import { resultOf, startMigration } from '../client/migrations';
import type { HostConfig } from '../policy/inventory';
import { transportProblem, type Transport } from '../policy/transport';
import { Criu } from '../runtime/criu';
import { Runc } from '../runtime/runc';
import { HostLayout } from '../runtime/layout';
import { execute } from '../runtime/exec';
import { bareMigration } from './bare';
import { CounterProbe } from '../infra/demo/probe';
import { LINKS, clearLink, linkSeconds, netemAvailable, shapeLink } from './link';
import { NetnsRuntime } from '../infra/lab/netns-runtime';
import { hostAccessFor, inThisRun, parseBenchOptions, serviceWorkloads, syntheticWorkloads, type BenchOptions } from './options';
import { benchServices, renderServiceTable } from './services';
import { BenchResults, type BenchCase, type BenchSample, type HostAccess, type Machine, type Runner, type Workload } from './model';
import { quickLine } from './quick-line';
import { postCopyCost } from './post-copy';
import { LatencyProxy } from './latency-proxy';
import { renderMarkdown } from './markdown';
import { renderChart } from './chart';

const CONTAINER = 'godwit-bench';
const PORT = 7200;
/** Beside the lab's Temporal server (7233): where workers connect in the server-latency runs. */
const LATENCY_PROXY_PORT = 7234;
const MiB = 1024 * 1024;

const say = (line: string) => console.error(`bench: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The dirtying workload rewrites 5 % of its memory a second: "under 10 %", as the targets say. */
const dirtyRate = (memoryMib: number, workload: Workload) => (workload === 'idle' ? 0 : Math.max(1, Math.round(memoryMib * 0.05)));

interface Bench {
  options: BenchOptions;
  lab: LabState;
  hosts: [HostConfig, HostConfig];
  client: Client;
  /** Index into `hosts` of where the workload runs now. */
  where: 0 | 1;
}

function runc(host: HostConfig): Runc {
  return new Runc(new NetnsRuntime(host.netnsPath ?? ''), { runc: host.runc, criu: host.criu, root: new HostLayout(host.stateDir).runcRoot });
}

/** A fresh workload on the first host, filled and counting. */
async function freshWorkload(bench: Bench, memoryMib: number, workload: Workload): Promise<void> {
  for (const host of bench.hosts) await labRemove(host.name, CONTAINER);
  const bundle = await buildWorkloadBundle({ name: CONTAINER, memoryMib, dirtyMibPerSec: dirtyRate(memoryMib, workload), port: PORT });
  await labRun(bench.hosts[0].name, CONTAINER, bundle, { unique: true, network: 'host' });
  bench.where = 0;
  await waitFor('the workload to answer', async () => (await readCounter(bench.hosts[0].address, PORT).catch(() => 0)) > 0, 60_000);
  await sleep(1000 + memoryMib); // its memory filled and touched
}

/** After a failed run: the container must run on exactly one host, or be started afresh. */
async function recover(bench: Bench, memoryMib: number, workload: Workload): Promise<void> {
  const statuses = await Promise.all(bench.hosts.map((h) => runc(h).status(CONTAINER)));
  const paused = statuses.indexOf('paused');
  if (paused >= 0 && !statuses.includes('running')) await runc(bench.hosts[paused]).resume(CONTAINER);
  const running = (await Promise.all(bench.hosts.map((h) => runc(h).status(CONTAINER)))).indexOf('running');
  const stale = running === 0 ? 1 : 0;
  if (running >= 0) {
    await labRemove(bench.hosts[stale].name, CONTAINER);
    bench.where = running as 0 | 1;
  } else {
    await freshWorkload(bench, memoryMib, workload);
  }
}

async function measure(bench: Bench, c: BenchCase, runner: Runner, rep: number): Promise<BenchSample> {
  const from = bench.hosts[bench.where];
  const to = bench.hosts[bench.where === 0 ? 1 : 0];
  const before = await readCounter(from.address, PORT);
  const probe = new CounterProbe([from.address, to.address], PORT);
  const probeFrom = Date.now();
  await sleep(200);
  const base = { ...c, runner, rep };
  const failed = (error: string): BenchSample => ({
    ...base,
    outcome: 'failed',
    error,
    seconds: { preDump: null, preCopy: null, checkpoint: null, transfer: null, restore: null, downtime: null, total: null },
    probeGapSeconds: null,
    bytes: 0,
    pageStreamBytes: null,
    postCopy: null,
  });
  let sample: BenchSample;
  try {
    if (runner === 'godwit') {
      const request = { container: CONTAINER, source: from.name, target: to.name, strategy: c.strategy, options: { transport: c.transport } };
      const report = await resultOf(await startMigration(bench.client, request));
      if (report.outcome !== 'migrated') sample = failed(`${report.outcome}: ${(report.reason ?? '').split('\n')[0]}`);
      // A sample labelled encrypted must have been: never time plain under another name.
      else if (report.transport.pages !== c.transport) sample = failed(`asked for transport ${c.transport}, the report says the pages went ${report.transport.pages}`);
      else {
        // Read after the drain: the probe has answered throughout it by now.
        const postCopy = postCopyCost(probe.readings, report, probeFrom);
        sample = { ...base, outcome: 'migrated', seconds: report.seconds, probeGapSeconds: null, bytes: report.bytes.total, pageStreamBytes: report.bytes.viaPageServer, postCopy };
      }
    } else {
      if (c.strategy !== 'page-server' && c.strategy !== 'stop-and-copy') throw new Error(`no bare baseline for ${c.strategy}`);
      const result = await bareMigration(c.strategy, CONTAINER, from, to, `bench-bare-${Date.now()}`);
      sample = { ...base, outcome: 'migrated', seconds: result.seconds, probeGapSeconds: null, bytes: result.bytes, pageStreamBytes: null, postCopy: null };
    }
  } catch (err) {
    sample = failed((err as Error).message.split('\n')[0]);
  }
  await sleep(200);
  const gap = await probe.stop();
  if (sample.outcome !== 'migrated') return sample;
  const after = await readCounter(to.address, PORT).catch(() => null);
  if (after === null || after <= before) return failed(`the counter did not continue on ${to.name} (${before} -> ${after})`);
  bench.where = bench.where === 0 ? 1 : 0;
  return { ...sample, probeGapSeconds: gap };
}

async function machine(host: HostConfig): Promise<Machine> {
  const criu = await new Criu(new NetnsRuntime(host.netnsPath ?? ''), host.criu).facts();
  const runcVersion = await execute(tools().runc, ['--version']);
  return {
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    criu: criu.version,
    runc: /runc version (\S+)/.exec(runcVersion.stdout)?.[1] ?? 'unknown',
    node: process.version,
  };
}

function describeSample(s: BenchSample): string {
  const what = `${s.strategy} ${s.memoryMib}MiB ${s.workload} ${s.link.name} ${s.transport}${s.hostAccess === 'ssh' ? ' over-ssh' : ''} ${s.runner} #${s.rep}`;
  if (s.outcome === 'failed') return `${what}: FAILED ${s.error ?? ''}`;
  return `${what}: downtime ${s.seconds.downtime?.toFixed(3)}s, total ${s.seconds.total?.toFixed(3)}s, probe gap ${s.probeGapSeconds?.toFixed(3)}s`;
}

/**
 * The transports each strategy runs with. A combination Godwit refuses (transportProblem:
 * encrypted post-copy) is skipped up front with Godwit's own reason, not measured as a failure.
 */
function transportsByStrategy(
  strategies: readonly BenchCase['strategy'][],
  transports: readonly Transport[],
  target: { name: string; reachableOverSsh: boolean },
  skipped: BenchResults['skipped'],
): Map<BenchCase['strategy'], Transport[]> {
  return new Map(
    strategies.map((strategy) => [
      strategy,
      transports.filter((transport) => {
        const problem = transportProblem(transport, strategy, { target });
        if (problem !== null) skipped.push({ strategy, reason: problem });
        return problem === null;
      }),
    ]),
  );
}

/**
 * The bare script has page-server and stop-and-copy only, no encrypted transport, and runs
 * its commands in the hosts' namespaces, never over SSH: it is measured plain, and only in a
 * run whose Godwit cases drive the hosts alike (workers), so Godwit/bare compares like with like.
 */
function bareRuns(c: Pick<BenchCase, 'strategy' | 'transport' | 'hostAccess'>): boolean {
  return (c.strategy === 'page-server' || c.strategy === 'stop-and-copy') && c.transport === 'plain' && c.hostAccess === 'worker';
}

/** What bareRuns leaves out beyond its strategies, for the report's Skipped list. */
function bareSkips(transports: readonly Transport[], hostAccess: HostAccess): BenchResults['skipped'] {
  if (hostAccess === 'ssh') {
    return [{ strategy: '*', reason: 'bare runner: not run, as this run drives the hosts over SSH (for ssh-tunnel) and the bare script does not; for Godwit/bare, run without ssh-tunnel' }];
  }
  return transports
    .filter((t) => t !== 'plain')
    .map((t) => ({ strategy: '*', reason: `bare runner, transport ${t}: the bare script moves state plain only; Godwit/bare is measured on plain` }));
}

/** Runs `c` `reps` times (Godwit only), recovering after a failure; says each sample. */
async function repeat(bench: Bench, cases: readonly BenchCase[], reps: number, before: (c: BenchCase) => Promise<void>): Promise<BenchSample[]> {
  const out: BenchSample[] = [];
  for (let rep = 1; rep <= reps; rep++) {
    // Rotated per repetition, so drift on a shared machine favours no case.
    for (const c of rotate(cases, rep - 1)) {
      await before(c);
      const sample = await measure(bench, c, 'godwit', rep);
      say(describeSample(sample));
      out.push(sample);
      if (sample.outcome === 'failed') await recover(bench, c.memoryMib, c.workload);
    }
  }
  return out;
}

/**
 * Every worker reaches the server through the latency proxy, each delay in turn: the first
 * memory size, idle, on loopback, plain, for each strategy but pre-copy (its rounds add
 * hand-offs of their own). The lab goes back to the direct route after.
 */
async function serverLatencyRuns(bench: Bench, strategies: readonly BenchCase['strategy'][], labOptions: LabOptions): Promise<BenchSample[]> {
  const { options, lab } = bench;
  const gateway = lab.temporal.address.split(':')[0];
  const proxy = await LatencyProxy.start(tools().toxiproxy, `${gateway}:${LATENCY_PROXY_PORT}`, lab.temporal.address);
  try {
    say(`server latency: every worker through toxiproxy at ${proxy.address}, ${options.serverDelaysMs.join(', ')} ms each way`);
    await labUp({ ...labOptions, serverRoute: proxy.address });
    const memoryMib = options.memoryMib[0];
    await freshWorkload(bench, memoryMib, 'idle');
    const cases = options.serverDelaysMs.flatMap((serverDelayMs) =>
      strategies.filter((s) => s !== 'pre-copy').map((strategy): BenchCase => ({ strategy, memoryMib, workload: 'idle', link: LINKS.loopback, transport: 'plain', hostAccess: bench.hosts[0].ssh ? 'ssh' : 'worker', serverDelayMs })),
    );
    return await repeat(bench, cases, options.repetitions, (c) => proxy.delayEachWay(c.serverDelayMs ?? 0));
  } finally {
    await labUp(labOptions);
    await proxy.stop();
  }
}

/**
 * Both hosts driven over SSH by gateway workers, for the cases the gateway target judges:
 * page-server and post-copy, idle, on loopback, at the run's sizes up to 256 MiB. Compared
 * with the same cases over the hosts' own workers, measured earlier in the run.
 */
async function gatewayRuns(bench: Bench, strategies: readonly BenchCase['strategy'][], labOptions: LabOptions): Promise<BenchSample[]> {
  const sizes = bench.options.memoryMib.filter((m) => m <= 256);
  const judged = strategies.filter((s) => s === 'page-server' || s === 'post-copy');
  if (sizes.length === 0 || judged.length === 0) return [];
  const direct = bench.hosts;
  try {
    say('gateways: both hosts driven over SSH');
    const lab = await labUp({ ...labOptions, sshHosts: labOptions.hosts });
    bench.hosts = lab.hosts.slice(0, 2).map((h) => hostConfig(h)) as [HostConfig, HostConfig];
    const out: BenchSample[] = [];
    for (const memoryMib of sizes) {
      await freshWorkload(bench, memoryMib, 'idle');
      const cases = judged.map((strategy): BenchCase => ({ strategy, memoryMib, workload: 'idle', link: LINKS.loopback, transport: 'plain', hostAccess: 'ssh', serverDelayMs: null }));
      out.push(...(await repeat(bench, cases, bench.options.repetitions, () => Promise.resolve())));
    }
    return out;
  } finally {
    for (const host of bench.hosts) await labRemove(host.name, CONTAINER);
    await labUp(labOptions);
    bench.hosts = direct;
  }
}

/** `items` started at `by`, wrapping round. */
const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]);

async function main(): Promise<number> {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(`bench: ${parsed.error}`);
    return 1;
  }
  const options = parsed.value;
  const date = new Date().toISOString();
  const hostAccess = hostAccessFor(options);
  const labOptions = defaultLabOptions();
  say(hostAccess === 'ssh' ? 'ssh-tunnel asked for: every Godwit case drives both hosts over SSH' : 'hosts driven by their own workers');
  const lab = await labUp(hostAccess === 'ssh' ? { ...labOptions, sshHosts: labOptions.hosts } : labOptions);
  const hosts = lab.hosts.slice(0, 2).map((h) => hostConfig(h)) as [HostConfig, HostConfig];
  const facts = await Promise.all(hosts.map((h) => new Criu(new NetnsRuntime(h.netnsPath ?? ''), h.criu).facts()));
  const skipped: BenchResults['skipped'] = [];
  const strategies = options.strategies.filter((s) => {
    if (s === 'pre-copy' && !facts.every((f) => f.memDirtyTrack)) {
      skipped.push({ strategy: s, reason: 'no dirty memory tracking (soft-dirty) in this kernel; see npm run test:kernel' });
      return false;
    }
    if (s === 'post-copy' && !facts.every((f) => f.uffdNoncoop)) {
      skipped.push({ strategy: s, reason: 'no non-cooperative userfaultfd in this kernel' });
      return false;
    }
    return true;
  });
  if (options.quick && options.memoryMib.length > 1) {
    for (const s of strategies.filter((x) => !inThisRun(options, { strategy: x, memoryMib: options.memoryMib[1] }))) {
      skipped.push({ strategy: s, reason: `quick run: at ${options.memoryMib[0]} MiB only (the larger sizes compare page-server and post-copy)` });
    }
  }
  // Both hosts are targets in turn; they are reached alike, so the second stands for both.
  const transports = transportsByStrategy(strategies, options.transports, { name: hosts[1].name, reachableOverSsh: hostAccess === 'ssh' }, skipped);
  skipped.push(...bareSkips(options.transports, hostAccess));
  const canDelay = await netemAvailable(lab);
  const links = options.links.map((name) => LINKS[name]).filter((link) => {
    if (link.delayMs === undefined || canDelay) return true;
    skipped.push({ strategy: '*', reason: `link ${link.name}: this kernel cannot delay packets (no sch_netem, CONFIG_NET_SCH_NETEM); rate-only links (1gbit, 100mbit) still run` });
    return false;
  });
  const { client, close } = await connectToLab();
  const bench: Bench = { options, lab, hosts, client, where: 0 };
  const samples: BenchSample[] = [];
  const serviceSamples: Awaited<ReturnType<typeof benchServices>> = [];
  try {
    for (const link of links) {
      await shapeLink(lab, link);
      for (const memoryMib of options.memoryMib) {
        const copy = linkSeconds(link, memoryMib * MiB);
        if (copy !== null && copy > options.maxTransferSeconds) {
          skipped.push({ strategy: '*', reason: `${memoryMib} MiB over ${link.name}: copying it takes ${copy.toFixed(0)}s, over --max-transfer-seconds ${options.maxTransferSeconds}` });
          continue;
        }
        for (const workload of syntheticWorkloads(options)) {
          await freshWorkload(bench, memoryMib, workload);
          for (const strategy of strategies) {
            for (let rep = 1; rep <= options.repetitions; rep++) {
              // Alternate who goes first and rotate the transports, so drift on a shared machine favours none.
              const runners: Runner[] = rep % 2 === 1 ? ['godwit', 'bare'] : ['bare', 'godwit'];
              for (const transport of rotate(transports.get(strategy) ?? [], rep - 1)) {
                const c: BenchCase = { strategy, memoryMib, workload, link, transport, hostAccess, serverDelayMs: null };
                if (!inThisRun(options, c)) continue;
                for (const runner of runners) {
                  if (runner === 'bare' && !bareRuns(c)) continue;
                  const sample = await measure(bench, c, runner, rep);
                  say(describeSample(sample));
                  samples.push(sample);
                  if (sample.outcome === 'failed') await recover(bench, memoryMib, workload);
                }
              }
            }
          }
        }
      }
    }
    if (options.serverDelaysMs.length > 0) {
      await clearLink(lab);
      samples.push(...(await serverLatencyRuns(bench, strategies, hostAccess === 'ssh' ? { ...labOptions, sshHosts: labOptions.hosts } : labOptions)));
    }
    if (options.gateways && hostAccess === 'worker') {
      await clearLink(lab);
      samples.push(...(await gatewayRuns(bench, strategies, labOptions)));
    }
    if (serviceWorkloads(options).length > 0) {
      await clearLink(lab);
      for (const host of hosts) await labRemove(host.name, CONTAINER);
      serviceSamples.push(...(await benchServices(bench.client, lab, serviceWorkloads(options), options.repetitions, say)));
    }
  } catch (err) {
    // Keep what was measured: the results so far are written, with the reason it stopped.
    say(`stopped early: ${(err as Error).message}`);
    skipped.push({ strategy: '*', reason: `the run stopped early: ${(err as Error).message.split('\n')[0]}` });
  } finally {
    await clearLink(lab);
    for (const host of hosts) await labRemove(host.name, CONTAINER);
    await close();
  }
  const results = BenchResults.parse({ date, quick: options.quick, repetitions: options.repetitions, machine: await machine(hosts[0]), samples, skipped });
  mkdirSync(options.out, { recursive: true });
  const stem = path.join(options.out, `${date.slice(0, 10)}${options.quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${stem}.md`, renderMarkdown(results));
  writeFileSync(`${stem}.svg`, renderChart(results));
  say(`wrote ${stem}.json, .md, .svg`);
  if (serviceSamples.length > 0) {
    const table = renderServiceTable(serviceSamples, date);
    writeFileSync(`${stem}-services.md`, table);
    say(`wrote ${stem}-services.md`);
    console.error(table);
  }
  console.log(quickLine(results));
  return samples.some((s) => s.outcome === 'migrated') || serviceSamples.some((s) => s.outcome === 'migrated') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`bench: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
