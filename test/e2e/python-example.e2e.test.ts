// Any Temporal SDK can start a migration: examples/python/migrate.py (the Python SDK, in the
// venv `infra/bootstrap.sh --with-python` makes) moves a real container on the lab by the
// workflow's published names, and gets the workflow's own refusal of a bad request.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execute, type ExecResult } from '../../runtime/exec';
import { projectRoot } from '../../infra/project-root';
import { godwitHome } from '../../infra/lab/state';
import { labRemove } from '../../infra/lab/lab';
import { MIGRATION_WORKFLOW, migrationWorkflowId } from '../../policy/names';
import { host, leftovers, startWorkload, statusOn, useLab } from './lab';

jest.setTimeout(180_000);

const PYTHON = path.join(godwitHome(), 'python-example-venv', 'bin', 'python');
const SCRIPT = path.join(projectRoot(), 'examples', 'python', 'migrate.py');
const CONTAINERS = ['py-move', 'py-stay'];

const session = useLab();

interface Run {
  code: number | null;
  json: Record<string, unknown>;
  stderr: string;
}

/** Runs migrate.py with `args` against the lab's Temporal; stdout must be one JSON object. */
async function migratePy(...args: string[]): Promise<Run> {
  const result: ExecResult = await execute(PYTHON, [SCRIPT, ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: session.lab.temporal.address },
    timeoutMs: 150_000,
  });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`migrate.py printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, json, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(PYTHON)) throw new Error(`no ${PYTHON}: run bash infra/bootstrap.sh --with-python`);
});

afterAll(async () => {
  for (const h of session.lab?.hosts ?? []) for (const c of CONTAINERS) await labRemove(h.name, c);
});

describe('examples/python/migrate.py', () => {
  it('migrates a running container from alpha to beta and its counter continues', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const w = await startWorkload(session.lab, 'alpha', 'py-move', 7901);
    const before = await w.counterOn(alpha);

    const run = await migratePy(w.container, '--from', 'alpha', '--to', 'beta');
    expect(run.json).toMatchObject({ outcome: 'migrated', reason: null, container: 'py-move', source: 'alpha', target: 'beta', runningOn: 'beta' });
    expect(run.json.workflowId).toBe(migrationWorkflowId('py-move'));
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^migrated py-move from alpha to beta with page-server in [\d.]+ s \(downtime [\d.]+ s\)$/m);

    expect(await statusOn(beta, w.container)).toBe('running');
    expect(await statusOn(alpha, w.container)).toBe('absent');
    expect(await w.counterOn(beta)).toBeGreaterThan(before);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
  });

  it('an invalid request is refused by the workflow (InvalidInput, exit 2) and nothing changes', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const w = await startWorkload(session.lab, 'alpha', 'py-stay', 7902);
    const before = await w.counterOn(alpha);
    const cases: [string[], string, RegExp][] = [
      [[w.container, '--from', 'alpha', '--to', 'alpha'], w.container, /^invalid migration request: target: source and target must be different hosts$/],
      [[`../${w.container}`, '--from', 'alpha', '--to', 'beta'], `../${w.container}`, /^invalid migration request: container: a container name is .*no "\/"/],
    ];
    for (const [args, container, message] of cases) {
      const run = await migratePy(...args);
      expect(Object.keys(run.json).sort()).toEqual(['error', 'type']);
      expect(run.json.type).toBe('InvalidInput');
      expect(run.json.error).toMatch(message);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^refused \(InvalidInput\): invalid migration request: /m);
      // The refusal is the workflow's own (the script checks nothing): it ran, and failed.
      const described = await session.client.workflow.getHandle(migrationWorkflowId(container)).describe();
      expect(described.type).toBe(MIGRATION_WORKFLOW);
      expect(described.status.name).toBe('FAILED');
    }

    expect(await statusOn(alpha, w.container)).toBe('running');
    expect(await statusOn(beta, w.container)).toBe('absent');
    expect(await w.counterOn(alpha)).toBeGreaterThan(before);
    expect(await leftovers(alpha)).toEqual([]);
    expect(await leftovers(beta)).toEqual([]);
  });
});
