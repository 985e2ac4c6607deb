// The godwit command as a script sees it: with --json exactly one JSON object on stdout (the
// command's answer, or {"error": {kind, message}}), human lines on stderr, and the documented
// exit codes (0 done, 2 rolled back or refused, 1 failure, 64 usage). The library is replaced
// by stubs returning schema-checked values; the real chain is in test/e2e (CLI on the lab).
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { runCli } from '../../cli/run';
import type { Io } from '../../cli/output';
import { AbortAccepted, MigrationStatus, MigrationSummary } from '../../policy/client-types';
import { MigrationReport } from '../../policy/report';
import { RebalanceReport } from '../../policy/rebalance-request';
import { ScheduleChanged, ScheduleRow, Triggered, UpsertedSchedule } from '../../policy/schedules';
import { LabStatus } from '../../infra/lab/state';
import { DemoResult } from '../../cli/demo';
import * as migrations from '../../client/migrations';
import * as rebalancing from '../../client/rebalancing';
import * as schedules from '../../client/schedules';
import * as labModule from '../../infra/lab/lab';
import * as demoModule from '../../cli/demo';
import { AlreadyRunningError, AbortRefusedError, NotConnectedError, NotFoundError, PreflightRefusedError, RollbackFailedError } from '../../client/errors';
import { LabError } from '../../infra/lab/state';
import { progressOf, rebalanceReportOf, reportOf } from './cli-fixtures';

jest.mock('../../client/migrations');
jest.mock('../../client/rebalancing');
jest.mock('../../client/schedules');
jest.mock('../../infra/lab/lab', () => ({ ...jest.requireActual<object>('../../infra/lab/lab'), labUp: jest.fn(), labDown: jest.fn(), labStatus: jest.fn(), labRun: jest.fn(), labRemove: jest.fn() }));
jest.mock('../../cli/demo', () => ({ ...jest.requireActual<object>('../../cli/demo'), runDemo: jest.fn() }));

const lib = jest.mocked(migrations);
const reb = jest.mocked(rebalancing);
const sch = jest.mocked(schedules);
const labFns = jest.mocked(labModule);
const demoFns = jest.mocked(demoModule);

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
  connected: number;
}

async function godwit(...argv: string[]): Promise<Run> {
  const out: Run = { code: -1, stdout: [], stderr: [], connected: 0 };
  const io: Io = { stdout: (t) => out.stdout.push(t), stderr: (t) => out.stderr.push(t), env: {} };
  const client = { connection: { close: () => Promise.resolve() } } as unknown as Client;
  out.code = await runCli(argv, io, () => {
    out.connected++;
    return Promise.resolve(client);
  });
  return out;
}

/** stdout was one line, one JSON object, and it has the schema's shape. */
function oneObject<T>(run: Run, schema: z.ZodType<T>): T {
  expect(run.stdout).toHaveLength(1);
  const value: unknown = JSON.parse(run.stdout[0]);
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
  return schema.parse(value);
}

const ErrorAnswer = z.object({ error: z.object({ kind: z.string(), message: z.string() }) }).strict();

beforeEach(() => jest.resetAllMocks());

describe('godwit --json: one object per command', () => {
  it('migrate: the report; 0 migrated, 2 rolled back, 1 failed (with the report)', async () => {
    lib.startMigration.mockResolvedValue({ workflowId: 'godwit-migrate-web' } as migrations.MigrationHandle);
    lib.followMigration.mockImplementation((_h, options) => {
      options?.onProgress?.(progressOf());
      return Promise.resolve(reportOf());
    });
    const moved = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--json');
    expect(moved.code).toBe(0);
    expect(oneObject(moved, MigrationReport).outcome).toBe('migrated');
    expect(moved.stderr.join('\n')).toMatch(/web alpha -> beta: transfer, 1\.5s/);
    expect(lib.startMigration.mock.calls[0][1]).toMatchObject({ container: 'web', source: 'alpha', target: 'beta', strategy: 'auto' });

    lib.followMigration.mockResolvedValue(reportOf({ outcome: 'rolled-back', runningOn: 'alpha', reason: 'restore failed' }));
    const back = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--json');
    expect(back.code).toBe(2);
    expect(oneObject(back, MigrationReport).runningOn).toBe('alpha');

    lib.followMigration.mockRejectedValue(new RollbackFailedError(reportOf({ outcome: 'failed', runningOn: null, reason: 'resume failed' })));
    const lost = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--json');
    expect(lost.code).toBe(1);
    const answer = oneObject(lost, z.object({ error: z.object({ kind: z.literal('rollback-failed'), message: z.string() }), report: MigrationReport }));
    expect(answer.report.runningOn).toBeNull();

    const detached = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--detach', '--json');
    expect(oneObject(detached, z.object({ workflowId: z.string() }).strict())).toEqual({ workflowId: 'godwit-migrate-web' });
  });

  it('migrate: refusals exit 2 and name what refused', async () => {
    lib.startMigration.mockRejectedValue(new AlreadyRunningError('godwit-migrate-web', 'a migration of web is already running (workflow godwit-migrate-web)'));
    const twice = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--json');
    expect(twice.code).toBe(2);
    expect(oneObject(twice, ErrorAnswer).error).toEqual({ kind: 'already-running', message: 'a migration of web is already running (workflow godwit-migrate-web)' });
    lib.startMigration.mockResolvedValue({ workflowId: 'godwit-migrate-web' } as migrations.MigrationHandle);
    lib.followMigration.mockRejectedValue(new PreflightRefusedError('preflight on host beta failed: no room', 'godwit-migrate-web'));
    const refused = await godwit('migrate', 'web', '--from', 'alpha', '--to', 'beta', '--json');
    expect(refused.code).toBe(2);
    expect(oneObject(refused, ErrorAnswer).error.kind).toBe('preflight-refused');
  });

  it('status: running with progress, or finished with the report', async () => {
    lib.migrationStatus.mockResolvedValue({ state: 'running', workflowId: 'godwit-migrate-web', progress: progressOf() });
    const running = await godwit('status', 'web', '--json');
    expect(running.code).toBe(0);
    expect(oneObject(running, MigrationStatus).state).toBe('running');
    lib.migrationStatus.mockResolvedValue({ state: 'finished', workflowId: 'godwit-migrate-web', report: reportOf() });
    expect(oneObject(await godwit('status', 'web', '--json'), MigrationStatus).state).toBe('finished');
    lib.migrationStatus.mockRejectedValue(new NotFoundError('no migration of web found'));
    const none = await godwit('status', 'web', '--json');
    expect(none.code).toBe(1);
    expect(oneObject(none, ErrorAnswer).error.kind).toBe('not-found');
  });

  it('status of a rolled-back run: where each host kept its CRIU logs, in the text and in --json', async () => {
    const diagnostics = [
      { host: 'alpha', path: '/var/lib/godwit/alpha/diagnostics/web/run-1', files: ['dump/dump.log', 'round-1/dump.log'] },
      { host: 'beta', path: '/var/lib/godwit/beta/diagnostics/web/run-1', files: ['page-server-final/page-server.log', 'restore/restore.log', 'restore/runc.log'] },
    ];
    const report = reportOf({ outcome: 'rolled-back', runningOn: 'alpha', reason: 'restore on host beta failed', diagnostics });
    lib.migrationStatus.mockResolvedValue({ state: 'finished', workflowId: 'godwit-migrate-web', report });
    const text = await godwit('status', 'web');
    expect(text.code).toBe(0);
    const lines = text.stdout.join('\n').split('\n');
    const at = lines.indexOf('logs kept (CRIU, runc):');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3)).toEqual([
      '  alpha /var/lib/godwit/alpha/diagnostics/web/run-1: dump/dump.log, round-1/dump.log',
      '  beta /var/lib/godwit/beta/diagnostics/web/run-1: page-server-final/page-server.log, restore/restore.log, restore/runc.log',
    ]);
    const json = oneObject(await godwit('status', 'web', '--json'), MigrationStatus);
    expect(json.state === 'finished' && json.report.diagnostics).toEqual(diagnostics);
    // A migrated run kept nothing, and says nothing of it.
    lib.migrationStatus.mockResolvedValue({ state: 'finished', workflowId: 'godwit-migrate-web', report: reportOf() });
    expect((await godwit('status', 'web')).stdout.join('\n')).not.toContain('logs kept');
  });

  it('abort: the phase it arrived in; refused too late with exit 2', async () => {
    lib.abortMigration.mockResolvedValue({ phase: 'transfer' });
    const accepted = await godwit('abort', 'web', '--reason', 'maintenance over', '--json');
    expect(accepted.code).toBe(0);
    expect(oneObject(accepted, AbortAccepted.extend({ container: z.string() }).strict())).toEqual({ container: 'web', phase: 'transfer' });
    expect(lib.abortMigration.mock.calls[0].slice(1)).toEqual(['web', 'maintenance over']);
    lib.abortMigration.mockRejectedValue(new AbortRefusedError('cannot abort the migration of web: too late to abort: the migration is in commit'));
    const late = await godwit('abort', 'web', '--json');
    expect(late.code).toBe(2);
    expect(oneObject(late, ErrorAnswer).error.kind).toBe('abort-refused');
  });

  it('list: the migrations under one key, filtered by the query given', async () => {
    const row: MigrationSummary = {
      workflowId: 'godwit-migrate-web', runId: 'r1', status: 'COMPLETED', startTime: '2026-12-01T10:00:00.000Z', closeTime: null,
      container: 'web', source: 'alpha', target: 'beta', phase: 'done', strategy: 'page-server', outcome: 'migrated',
    };
    lib.listMigrations.mockResolvedValue([row]);
    const listed = await godwit('list', '--query', "GodwitSource = 'alpha'", '--limit', '5', '--json');
    expect(oneObject(listed, z.object({ migrations: z.array(MigrationSummary) }).strict()).migrations).toEqual([row]);
    expect(lib.listMigrations.mock.calls[0][1]).toEqual({ query: "GodwitSource = 'alpha'", limit: 5 });
  });

  it('rebalance: the report; 0 all migrated, 2 some rolled back, 1 one failed', async () => {
    reb.runRebalance.mockResolvedValue(rebalanceReportOf());
    const dry = await godwit('rebalance', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(oneObject(dry, RebalanceReport).moves).toEqual([]);
    expect(reb.runRebalance.mock.calls[0][1]).toMatchObject({ dryRun: true });
    const move = { container: 'web', source: 'alpha', target: 'beta', reason: null, workflowId: 'godwit-migrate-web' };
    reb.runRebalance.mockResolvedValue(rebalanceReportOf([{ ...move, outcome: 'rolled-back' }]));
    expect((await godwit('rebalance', '--json')).code).toBe(2);
    reb.runRebalance.mockResolvedValue(rebalanceReportOf([{ ...move, outcome: 'failed' }]));
    expect((await godwit('rebalance', '--json')).code).toBe(1);
  });

  it('schedule rebalance, list, pause, unpause, delete, trigger', async () => {
    sch.upsertRebalanceSchedule.mockResolvedValue({ scheduleId: 'godwit-rebalance', created: true, everyMs: 900_000, dryRun: false, paused: false });
    expect(oneObject(await godwit('schedule', 'rebalance', '--every', '15m', '--json'), UpsertedSchedule.strict()).everyMs).toBe(900_000);
    const row = { scheduleId: 'godwit-rebalance', workflowType: 'rebalanceWorkflow', every: '15m', paused: false, nextRun: null, lastRun: null };
    sch.listSchedules.mockResolvedValue([row]);
    expect(oneObject(await godwit('schedule', 'list', '--json'), z.object({ schedules: z.array(ScheduleRow) }).strict()).schedules).toEqual([row]);
    for (const [verb, fn] of [['pause', sch.pauseSchedule], ['unpause', sch.unpauseSchedule], ['delete', sch.deleteSchedule]] as const) {
      const action = ({ pause: 'paused', unpause: 'unpaused', delete: 'deleted' } as const)[verb];
      fn.mockResolvedValue({ scheduleId: 'nightly', action });
      expect(oneObject(await godwit('schedule', verb, 'nightly', '--json'), ScheduleChanged.strict())).toEqual({ scheduleId: 'nightly', action });
    }
    sch.triggerSchedule.mockResolvedValue({ scheduleId: 'godwit-rebalance', runningAlready: [], overlap: 'SKIP' });
    expect(oneObject(await godwit('schedule', 'trigger', '--json'), Triggered.strict()).overlap).toBe('SKIP');
    sch.pauseSchedule.mockRejectedValue(new NotFoundError('no schedule "nope"'));
    const missing = await godwit('schedule', 'pause', 'nope', '--json');
    expect(missing.code).toBe(1);
    expect(oneObject(missing, ErrorAnswer).error).toEqual({ kind: 'not-found', message: 'no schedule "nope"' });
  });

  it('lab up, down, status, run, rm', async () => {
    labFns.labUp.mockResolvedValue({
      subnet: '10.77.0.0/24', subnets: 'shared', bridge: 'godwit0', gateway: '10.77.0.1', orchestratorPid: 1, orchestratorBuild: '', inventoryFile: '/i',
      temporal: { address: '10.77.0.1:7233', ui: 'http://10.77.0.1:8233', pid: 2, dbFile: '/db' },
      hosts: [],
    });
    const up = oneObject(await godwit('lab', 'up', '--json'), z.object({ temporal: z.object({ address: z.string(), ui: z.string() }), subnets: z.enum(['shared', 'per-host']), hosts: z.array(z.unknown()) }).strict());
    expect(up.temporal.address).toBe('10.77.0.1:7233');
    expect(oneObject(await godwit('lab', 'down', '--json'), z.object({ down: z.literal(true) }).strict())).toEqual({ down: true });
    labFns.labStatus.mockResolvedValue({ up: false, hosts: [] });
    expect(oneObject(await godwit('lab', 'status', '--json'), LabStatus.strict()).up).toBe(false);
    labFns.labRun.mockResolvedValue('10.204.0.100');
    const ran = await godwit('lab', 'run', 'alpha', 'web', '/bundles/web', '--volume', 'pgdata:/var/lib/postgresql/data', '--json');
    const volumes = [{ name: 'pgdata', path: '/var/lib/postgresql/data' }];
    const ranAnswer = z
      .object({ host: z.string(), container: z.string(), status: z.literal('running'), volumes: z.array(z.unknown()), network: z.enum(['own', 'host']), address: z.string() })
      .strict();
    // A network of its own unless asked otherwise.
    expect(oneObject(ran, ranAnswer)).toEqual({ host: 'alpha', container: 'web', status: 'running', volumes, network: 'own', address: '10.204.0.100' });
    expect(labFns.labRun).toHaveBeenCalledWith('alpha', 'web', '/bundles/web', { unique: true, volumes, network: 'own', ip: undefined });
    await godwit('lab', 'run', 'alpha', 'web', '/bundles/web', '--ip', '10.204.0.120', '--json');
    expect(labFns.labRun).toHaveBeenLastCalledWith('alpha', 'web', '/bundles/web', { unique: true, volumes: [], network: 'own', ip: '10.204.0.120' });
    await godwit('lab', 'run', 'alpha', 'web', '/bundles/web', '--network', 'host', '--json');
    expect(labFns.labRun).toHaveBeenLastCalledWith('alpha', 'web', '/bundles/web', { unique: true, volumes: [], network: 'host', ip: undefined });
    for (const bad of [['--network', 'bridge'], ['--ip', '10.204.0.999'], ['--network', 'host', '--ip', '10.204.0.120']]) {
      const refused = await godwit('lab', 'run', 'alpha', 'web', '/bundles/web', ...bad, '--json');
      expect(refused.code).toBe(64);
    }
    const badVolume = await godwit('lab', 'run', 'alpha', 'web', '/bundles/web', '--volume', 'pgdata:relative', '--json');
    expect(badVolume.code).toBe(64);
    expect(badVolume.stdout.join('')).toContain('--volume \\"pgdata:relative\\"');
    const removed = await godwit('lab', 'rm', 'alpha', 'web', '--json');
    expect(oneObject(removed, z.object({ host: z.string(), container: z.string(), removed: z.literal(true) }).strict()).removed).toBe(true);
    labFns.labRun.mockRejectedValue(new LabError('no bundle at /nope'));
    const noBundle = await godwit('lab', 'run', 'alpha', 'web', '/nope');
    expect(noBundle).toMatchObject({ code: 1, stdout: [], stderr: ['godwit: no bundle at /nope'] });
  });

  it('demo: the report and the counter; 0 only when it migrated and the counter continued', async () => {
    const result: DemoResult = { report: reportOf(), counter: { beforeFreeze: 10, afterRestore: 12, continued: true }, client: { address: '10.204.0.100', longestGapSeconds: 0.9 }, ui: 'http://ui', stop: 'npx godwit lab down' };
    demoFns.runDemo.mockResolvedValue(result);
    const ok = await godwit('demo', '--memory-mib', '64', '--json');
    expect(ok.code).toBe(0);
    expect(oneObject(ok, DemoResult.strict())).toEqual(result);
    expect(demoFns.runDemo.mock.calls[0][0]).toEqual({ memoryMib: 64 });
    demoFns.runDemo.mockResolvedValue({ ...result, counter: { ...result.counter, continued: false } });
    expect((await godwit('demo', '--json')).code).toBe(1);
  });

  it('--version and help', async () => {
    const version = await godwit('--version', '--json');
    expect(oneObject(version, z.object({ version: z.string().regex(/^\d+\.\d+\.\d+/) }).strict())).toBeTruthy();
    expect((await godwit('--version')).stdout[0]).toMatch(/^godwit \d+\.\d+\.\d+/);
    const help = await godwit('help');
    expect(help.code).toBe(0);
    expect(help.stdout[0]).toContain('exit codes: 0 done; 2 rolled back or refused');
  });

  it('Temporal out of reach: exit 1, one line', async () => {
    lib.migrationStatus.mockRejectedValue(new NotConnectedError('localhost:7233', new Error('connection refused')));
    const run = await godwit('status', 'web');
    expect(run).toMatchObject({ code: 1, stdout: [], stderr: ['godwit: cannot reach Temporal at localhost:7233: connection refused'] });
  });
});

describe('mistakes are refused before anything connects: exit 64, one line', () => {
  const cases: [string[], string][] = [
    [['migrate', 'web', '--from', 'alpha', '--to', 'beta', '--bogus'], 'unknown option "--bogus"'],
    [['migrate', 'web', 'extra', '--from', 'alpha', '--to', 'beta'], 'unexpected argument "extra"'],
    [['migrate', 'web', '--from', 'alpha'], 'migrate needs <container> --from <host> --to <host>'],
    [['migrate', 'web', '--from', 'alpha', '--to', 'beta', '--strategy'], '--strategy needs a value'],
    [['status'], 'status needs <container>'],
    [['status', 'web', 'db'], 'unexpected argument "db"'],
    [['status', '../etc'], 'container: a container name is 1-63 letters, digits, "_" or "-", starting with a letter or digit (no "/", "..", spaces or shell characters)'],
    [['abort', 'web', '--force'], 'unknown option "--force"'],
    [['list', 'extra'], 'unexpected argument "extra"'],
    [['list', '--limit', '0'], '--limit is a whole number from 1 to 1000, not "0"'],
    [['rebalance', '--dry-run', '--bogus'], 'unknown option "--bogus"'],
    [['schedule', 'list', 'extra'], 'unexpected argument "extra"'],
    [['schedule', 'frob'], 'unknown schedule command "frob"; one of: rebalance, list, pause, unpause, delete, trigger'],
    [['lab', 'run', 'alpha', 'x', '/tmp/b', '--bogus'], 'unknown option "--bogus"'],
    [['lab', 'run', 'alpha', 'x'], 'lab run needs <host> <container> <bundle-dir>'],
    [['lab', 'status', 'now'], 'unexpected argument "now"'],
    [['lab', 'down', '--force'], 'unknown option "--force"'],
    [['lab', 'rm', 'alpha'], 'lab rm needs <host> <container>'],
    [['lab', 'up', '--ssh', 'zeta'], '--ssh names hosts not in the lab: zeta'],
    [['lab'], 'lab needs one of: up, down, status, run, rm'],
    [['demo', '--memory-mib', 'lots'], '--memory-mib is a whole number of MiB from 1 to 16384, not "lots"'],
    [['demo', 'now'], 'unexpected argument "now"'],
    [['--version', 'now'], 'unexpected argument "now"'],
    [['frob'], 'unknown command "frob"; see "godwit help"'],
  ];
  it.each(cases)('godwit %j', async (argv, message) => {
    const human = await godwit(...argv);
    expect(human).toEqual({ code: 64, stdout: [], stderr: [`godwit: ${message}`], connected: 0 });
    const json = await godwit(...argv, '--json');
    expect(json.code).toBe(64);
    expect(oneObject(json, ErrorAnswer).error).toEqual({ kind: 'usage', message });
    expect(labFns.labRun).not.toHaveBeenCalled();
  });
});
