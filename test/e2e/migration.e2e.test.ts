// The whole chain for real: Temporal dev server, host workers in their namespaces, runc,
// CRIU with a page server, rsync between hosts. The container's in-memory counter proves
// its state survived.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { execute } from '../../runtime/exec';
import { projectRoot } from '../../infra/project-root';
import { stopProcess } from '../../infra/lab/processes';
import { MigrationReport } from '../../policy/report';
import { connectToLab } from '../../infra/lab/client';
import { followMigration, resultOf, startMigration } from '../../client/migrations';
import { MigrationStatus, MigrationSummary } from '../../policy/client-types';
import { RebalanceReport } from '../../policy/rebalance-request';
import { LabStatus } from '../../infra/lab/state';
import type { LabState } from '../../infra/lab/state';
import { labRemove, labRun } from '../../infra/lab/lab';
import { CounterProbe } from '../../infra/demo/probe';
import { bringLabUp, busyboxBundle, host, injectFault, leftovers, startWorkload, statusOn, tidyLab } from './lab';
import { readFileSync, writeFileSync } from 'node:fs';
import { hasSysResource } from '../../policy/preflight';
import { LAZY_PAGES_PIPE_BYTES } from '../../policy/lazy-pages';
import { PreflightRefusedError } from '../../client/errors';

jest.setTimeout(120_000);

let lab: LabState;
let client: Client;
let close: () => Promise<void>;

beforeAll(async () => {
  lab = await bringLabUp();
  ({ client, close } = await connectToLab());
}, 180_000);

afterEach(() => tidyLab(lab));

afterAll(async () => {
  await close?.();
});

describe('live migration on the lab', () => {
  it('moves a running container from alpha to beta and its counter continues', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-move', 7101);
    const beforeFreeze = await w.counterOn(alpha);
    const phases: string[] = [];
    const report = await followMigration(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta' }), {
      onProgress: (p) => phases.push(p.phase),
    });
    expect(report.reason).toBeNull();
    expect(report.outcome).toBe('migrated');
    expect(await statusOn(beta, w.container)).toBe('running');
    expect(await statusOn(alpha, w.container)).toBe('absent');
    expect(await w.counterOn(beta)).toBeGreaterThan(beforeFreeze);
    expect(report.bytes.pages).toBeGreaterThan(60 * 1024 * 1024); // the 64 MiB it holds went across
    expect(report.bytes.viaPageServer).toBeGreaterThan(60 * 1024 * 1024);
    expect(report.strategy).toBe('page-server');
    expect(report.seconds.downtime).toBeGreaterThan(0);
    // Progress is polled, so a short phase may pass unseen; the report has them all.
    expect(phases.length).toBeGreaterThan(0);
    expect(report.phases.map((p) => p.phase)).toEqual(['preflight', 'prepare', 'checkpoint', 'transfer', 'restore', 'verify', 'commit', 'done']);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('beta', w.container);
  });

  it('migrates while clients keep connecting, even in the frozen window, and they find it on the target', async () => {
    // Connections opened while the container is frozen sit in its accept queue: CRIU refused
    // to dump them until Godwit gave it skip-in-flight (and tcp-close for open ones).
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-busy', 7110);
    const probe = new CounterProbe([alpha.address, beta.address], 7110);
    const report = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta' }));
    const gap = await probe.stop();
    expect(report.reason).toBeNull();
    expect(report.outcome).toBe('migrated');
    // Clients saw it answer before and after: the longest silence is about the downtime.
    expect(gap).not.toBeNull();
    expect(gap as number).toBeGreaterThanOrEqual((report.seconds.downtime ?? 0) * 0.8);
    expect(await w.counterOn(beta)).toBeGreaterThan(0);
    await labRemove('beta', w.container);
  });

  it('moves a container with stop-and-copy: dump to disk, rsync, restore', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-stop-and-copy', 7107);
    const beforeFreeze = await w.counterOn(alpha);
    const report = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta', strategy: 'stop-and-copy' }));
    expect(report.outcome).toBe('migrated');
    expect(report.strategy).toBe('stop-and-copy');
    expect(report.bytes.viaPageServer).toBe(0);
    expect(report.bytes.viaRsync).toBeGreaterThan(60 * 1024 * 1024); // the pages travelled with the images
    expect(await w.counterOn(beta)).toBeGreaterThan(beforeFreeze);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('beta', w.container);
  });

  it('post-copy migrates: the target runs first, the pages follow, the counter goes on', async () => {
    // Post-copy's page server needs a 4 MiB pipe; each host's worker raised fs.pipe-max-size
    // to that at its start (root here lacks CAP_SYS_RESOURCE).
    expect(Number(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'))).toBeGreaterThanOrEqual(LAZY_PAGES_PIPE_BYTES);
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-post-copy', 7109);
    const beforeFreeze = await w.counterOn(alpha);
    const report = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta', strategy: 'post-copy' }));
    expect(report).toMatchObject({ strategy: 'post-copy', outcome: 'migrated', runningOn: 'beta' });
    expect(await statusOn(beta, w.container)).toBe('running');
    expect(await statusOn(alpha, w.container)).toBe('absent');
    expect(await w.counterOn(beta)).toBeGreaterThan(beforeFreeze);
    // Only what is not memory crossed while frozen: the pages came after, through the lazy-pages daemon.
    expect(report.bytes.viaRsync).toBeLessThan(32 * 1024 * 1024);
    expect(report.postCopy?.drainSeconds).toEqual(expect.any(Number));
    expect(report.warnings.join('\n')).toMatch(/rollback to alpha was possible only until the restore on beta started/);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('beta', w.container);
  });

  it('refuses post-copy before anything changes where the source cannot give CRIU the pipe, naming the fix', async () => {
    const alpha = host(lab, 'alpha');
    const w = await startWorkload(lab, 'alpha', 'e2e-narrow-pipe', 7111);
    const raised = readFileSync('/proc/sys/fs/pipe-max-size', 'utf8');
    writeFileSync('/proc/sys/fs/pipe-max-size', '1048576\n'); // as this machine starts
    try {
      const err = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta', strategy: 'post-copy' })).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/^post-copy needs host alpha to serve pages through a 4 MiB pipe, but its fs.pipe-max-size is 1048576 bytes .*sysctl -w fs.pipe-max-size=4194304/);
    } finally {
      writeFileSync('/proc/sys/fs/pipe-max-size', raised);
    }
    expect(await statusOn(alpha, w.container)).toBe('running');
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(host(lab, 'beta'))).toEqual([]);
    await labRemove('alpha', w.container);
  });

  it('refuses pre-copy on this kernel (no soft-dirty) before anything changes', async () => {
    const alpha = host(lab, 'alpha');
    const w = await startWorkload(lab, 'alpha', 'e2e-no-precopy', 7108);
    const err = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta', strategy: 'pre-copy' })).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('pre-copy needs dirty memory tracking (kernel CONFIG_MEM_SOFT_DIRTY), which alpha and beta lack');
    expect(await statusOn(alpha, w.container)).toBe('running');
    await labRemove('alpha', w.container);
  });

  it('rolls back to the source when CRIU fails to restore on the target', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-restore-fails', 7102);
    injectFault(beta, 'restore', { action: 'corrupt-images' });
    const beforeFreeze = await w.counterOn(alpha);
    const report = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta' }));
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toMatch(/^restore on host beta failed: runc restore e2e-restore-fails failed/);
    expect(report.rollback.map((s) => `${s.step}:${s.ok}`)).toEqual(['stopTargetContainer:true', 'resumeSource:true', 'cleanupTarget:true']);
    expect(await statusOn(alpha, w.container)).toBe('running');
    expect(await statusOn(beta, w.container)).toBe('absent');
    expect(await w.counterOn(alpha)).toBeGreaterThan(beforeFreeze);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('alpha', w.container);
  });

  it('rolls back when aborted during the transfer, and the source runs on', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-abort', 7103);
    injectFault(alpha, 'pushImages', { action: 'delay', seconds: 60 });
    const beforeFreeze = await w.counterOn(alpha);
    const handle = await startMigration(client, { container: w.container, source: 'alpha', target: 'beta' });
    // The library's way to abort: the caller's AbortSignal (the CLI's is `godwit abort`).
    const stop = new AbortController();
    const report = await followMigration(handle, {
      onProgress: (p) => {
        if (p.phase === 'transfer' && !p.aborting) stop.abort('operator changed their mind');
      },
      signal: stop.signal,
    });
    expect(report.outcome).toBe('rolled-back');
    expect(report.reason).toBe('aborted: operator changed their mind');
    expect(await statusOn(alpha, w.container)).toBe('running');
    expect(await statusOn(beta, w.container)).toBe('absent');
    expect(await w.counterOn(alpha)).toBeGreaterThan(beforeFreeze);
    expect(await leftovers(beta)).toEqual([]);
    await labRemove('alpha', w.container);
  });

  it('refuses to migrate a container that does not run on the source, changing nothing', async () => {
    const err = await resultOf(await startMigration(client, { container: 'e2e-nowhere', source: 'alpha', target: 'beta' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('preflight on host alpha failed: container e2e-nowhere does not exist on host alpha');
  });
});

describe('refusals on the lab', () => {
  it('refuses a container with a process under another user where root lacks CAP_SYS_RESOURCE, before any freeze; else migrates it', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const container = 'e2e-uid';
    for (const h of lab.hosts) await labRemove(h.name, container);
    await labRun('alpha', container, await busyboxBundle(container, 'while :; do sleep 1; done', 1000), { unique: true, network: 'host' });
    const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
    const outcome = await resultOf(await startMigration(client, { container, source: 'alpha', target: 'beta' })).catch((e: unknown) => e);
    if (hasSysResource(capEff)) {
      expect(outcome).toMatchObject({ outcome: 'migrated' });
      await labRemove('beta', container);
      return;
    }
    // This sandbox: root's CapEff lacks bit 24. CRIU would fail after the freeze; preflight says why first.
    expect(outcome).toBeInstanceOf(PreflightRefusedError);
    expect((outcome as Error).message).toMatch(new RegExp(`preflight on host alpha failed: container ${container} on host alpha runs process \\d+ \\(busybox, uid 1000, gid 1000\\)(, \\d+ \\(\\w+, uid 1000, gid 1000\\))* under another user than root; .*needs CAP_SYS_RESOURCE`));
    expect(await statusOn(alpha, container)).toBe('running');
    expect(await statusOn(beta, container)).toBe('absent');
    await labRemove('alpha', container);
  });

  it('refuses a target that already has a container of that name, and both keep running', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-twin', 7104);
    await startWorkload(lab, 'beta', 'e2e-twin', 7104, { alone: false });
    const err = await resultOf(await startMigration(client, { container: w.container, source: 'alpha', target: 'beta' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('preflight on host beta failed: host beta already has a container named e2e-twin');
    expect(await statusOn(alpha, w.container)).toBe('running');
    expect(await statusOn(beta, w.container)).toBe('running');
    await labRemove('alpha', w.container);
    await labRemove('beta', w.container);
  });

  it('names a host whose worker is down, within the host timeout, and changes nothing', async () => {
    const [alpha, beta] = [host(lab, 'alpha'), host(lab, 'beta')];
    const w = await startWorkload(lab, 'alpha', 'e2e-dead-host', 7105);
    await stopProcess(beta.workerPid, beta.configFile);
    try {
      const started = Date.now();
      const handle = await startMigration(client, { container: w.container, source: 'alpha', target: 'beta', options: { hostTimeoutSeconds: 3 } });
      const err = await resultOf(handle).catch((e: unknown) => e);
      expect((err as Error).message).toBe('host beta is not responding (no worker took preflight)');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await statusOn(alpha, w.container)).toBe('running');
    } finally {
      lab = await bringLabUp(); // restarts the stopped worker
    }
    expect(await statusOn(beta, w.container)).toBe('absent');
    await labRemove('alpha', w.container);
  });
});

describe('the godwit CLI on the lab', () => {
  const cli = (args: string[]) => execute(process.execPath, [path.join(projectRoot(), 'dist', 'cli', 'godwit.js'), ...args]);
  /** --json means exactly one JSON object on stdout, whatever the command. */
  const oneObject = (stdout: string): unknown => {
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const value: unknown = JSON.parse(stdout);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    return value;
  };

  it('migrates with --json, printing one report object, and exits 0; status, list and lab status answer in JSON too', async () => {
    const beta = host(lab, 'beta');
    const w = await startWorkload(lab, 'alpha', 'e2e-cli', 7106);
    const result = await cli(['migrate', w.container, '--from', 'alpha', '--to', 'beta', '--json']);
    expect(result.code).toBe(0);
    const report = MigrationReport.parse(oneObject(result.stdout));
    expect(report.outcome).toBe('migrated');
    expect(report.preflight?.targetCriu).toMatch(/^4\./);
    // Progress went to stderr, for a person watching.
    expect(result.stderr).toMatch(/e2e-cli alpha -> beta: checkpoint/);
    expect(await w.counterOn(beta)).toBeGreaterThan(0);

    const status = MigrationStatus.parse(oneObject((await cli(['status', w.container, '--json'])).stdout));
    expect(status.state === 'finished' && status.report.outcome).toBe('migrated');
    const listed = await cli(['list', '--json', '--query', `GodwitContainer = '${w.container}'`]);
    expect(listed.code).toBe(0);
    const { migrations } = (oneObject(listed.stdout) as { migrations: unknown[] });
    const rows = migrations.map((m) => MigrationSummary.parse(m));
    expect(rows[0]).toMatchObject({ container: w.container, source: 'alpha', target: 'beta', outcome: 'migrated', status: 'COMPLETED' });
    const labNow = LabStatus.parse(oneObject((await cli(['lab', 'status', '--json'])).stdout));
    // In its host's network (as startWorkload runs it): it answers at beta's own address now.
    expect(labNow.hosts.find((h) => h.name === 'beta')?.containers).toContainEqual({ name: w.container, status: 'running', address: beta.address, network: 'host' });

    // Too late to abort a finished migration: refused, exit 2, one error object.
    const abort = await cli(['abort', w.container, '--json']);
    expect(abort.code).toBe(2);
    expect(oneObject(abort.stdout)).toMatchObject({ error: { kind: 'abort-refused' } });
    await labRemove('beta', w.container);
  });

  it('plans a rebalance with --dry-run --json, moving nothing', async () => {
    const result = await cli(['rebalance', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    const report = RebalanceReport.parse(oneObject(result.stdout));
    expect(report.dryRun).toBe(true);
    expect(report.moves).toEqual([]);
    expect(report.plan.hosts.map((h) => h.host)).toEqual(expect.arrayContaining(['alpha', 'beta']));
  });

  it('rejects bad input with one clear line and exit code 64, starting nothing', async () => {
    const result = await cli(['migrate', 'web;reboot', '--from', 'alpha', '--to', 'alpha']);
    expect(result.code).toBe(64);
    expect(result.stderr.trim()).toBe(
      'godwit: invalid migration request: container: a container name is 1-63 letters, digits, "_" or "-", starting with a letter or digit (no "/", "..", spaces or shell characters); target: source and target must be different hosts',
    );
    expect(result.stdout).toBe('');
  });

  it('refuses a lab run of a bundle that is not there, or with an unknown option, in one line', async () => {
    const missing = await cli(['lab', 'run', 'alpha', 'e2e-nobundle', '/tmp/godwit-no-such-bundle']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('godwit: no bundle at /tmp/godwit-no-such-bundle');
    const bogus = await cli(['lab', 'run', 'alpha', 'e2e-nobundle', '/tmp/godwit-no-such-bundle', '--bogus', '--json']);
    expect(bogus.code).toBe(64);
    expect(oneObject(bogus.stdout)).toEqual({ error: { kind: 'usage', message: 'unknown option "--bogus"' } });
  });
});
