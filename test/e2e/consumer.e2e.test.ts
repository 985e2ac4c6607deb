// Godwit as a package a user installs: `npm pack` of this checkout, installed into a fresh
// project in a temporary directory, the TypeScript example (examples/typescript/migrate.ts)
// type-checked there with `tsc --strict` against the package's own declaration files, then
// run against the lab: it migrates a live container and prints the report.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executeOk, execute } from '../../runtime/exec';
import { projectRoot } from '../../infra/project-root';
import { labRemove } from '../../infra/lab/lab';
import { MigrationReport } from '../../policy/report';
import { host, leftovers, startWorkload, statusOn, useLab } from './lab';

jest.setTimeout(300_000);

const root = projectRoot();
const session = useLab();
let project: string;

/** The exact version of a package this checkout has installed, so the consumer gets the same. */
const installed = (name: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), 'godwit-consumer-'));
  const packed = await executeOk('npm', ['pack', '--silent', '--pack-destination', project], { cwd: root, timeoutMs: 120_000 });
  const tarball = path.join(project, packed.stdout.trim().split('\n').at(-1) ?? '');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'godwit-consumer', private: true, version: '1.0.0' }));
  // The registry (or npm's cache, filled by set-up) serves the package's dependencies.
  await executeOk('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@types/node@${installed('@types/node')}`], {
    cwd: project,
    timeoutMs: 240_000,
  });
  copyFileSync(path.join(root, 'examples', 'typescript', 'migrate.ts'), path.join(project, 'migrate.ts'));
  copyFileSync(path.join(root, 'examples', 'typescript', 'tsconfig.json'), path.join(project, 'tsconfig.json'));
}, 400_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the godwit package in a project of its own', () => {
  it('ships declarations that type-check a user script under tsc --strict, through both entry points', async () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // The second entry point, and a type error the declarations must catch.
    writeFileSync(
      path.join(project, 'wrong.ts'),
      "import { startMigration } from 'godwit/client';\nimport type { Client } from '@temporalio/client';\nexport const go = (c: Client) => startMigration(c, { container: 'x', source: 'alpha', target: 7 });\n",
    );
    const wrong = await execute(process.execPath, [tsc, '--strict', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', 'wrong.ts'], { cwd: project });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toMatch(/wrong\.ts.*Type 'number' is not assignable to type 'string'/);
    const checked = await execute(process.execPath, [tsc, '-p', '.'], { cwd: project });
    expect(`${checked.stdout}${checked.stderr}`).toBe('');
    expect(checked.code).toBe(0);
  });

  it('migrates a live container from the example script and prints the report', async () => {
    const [alpha, beta] = [host(session.lab, 'alpha'), host(session.lab, 'beta')];
    const w = await startWorkload(session.lab, 'alpha', 'e2e-consumer', 7121);
    const before = await w.counterOn(alpha);
    const run = await execute(process.execPath, [path.join(project, 'dist', 'migrate.js'), w.container, 'alpha', 'beta'], {
      cwd: project,
      // Temporal's own convention: the script knows nothing of Godwit's lab.
      env: { ...process.env, TEMPORAL_ADDRESS: session.lab.temporal.address },
      timeoutMs: 180_000,
    });
    expect(run.stderr).toMatch(/e2e-consumer alpha -> beta: checkpoint/);
    expect(run.code).toBe(0);
    const report = MigrationReport.parse(JSON.parse(run.stdout));
    expect(report.outcome).toBe('migrated');
    expect(report.runningOn).toBe('beta');
    expect(await statusOn(beta, w.container)).toBe('running');
    expect(await statusOn(alpha, w.container)).toBe('absent');
    expect(await w.counterOn(beta)).toBeGreaterThan(before);
    expect(await leftovers(alpha)).toEqual([]);
    await labRemove('beta', w.container);
  });
});
