// The fault matrix on the real lab: each failure injected while the migration is in each
// phase, then the invariant (test/faults/invariant.ts) checked. The migration is held in the
// phase by a test-only delay at the phase's step (activities/faults.ts), the failure is
// applied, the delay is lifted, and the workflow must settle as migrated or rolled back.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../cli/client';
import { abortMigration, resultOf, startMigration } from '../../cli/migrations';
import { progressQuery } from '../../workflows/definitions';
import { defaultLabOptions, labRemove, labUp } from '../../infra/lab/lab';
import { godwitHome, readLabState, type LabState } from '../../infra/lab/state';
import { stopProcess } from '../../infra/lab/processes';
import { bringLabUp, clearFaults, host, injectFault, startWorkload } from '../e2e/lab';
import { checkInvariant } from './invariant';
import type { Phase } from '../../policy/phases';
import { executeOk } from '../../runtime/exec';

jest.setTimeout(15 * 60_000);

/** Where each phase can be held: the step that runs it, and on which side. */
const PHASES: { phase: Phase; step: string; side: 'source' | 'target' }[] = [
  { phase: 'prepare', step: 'pushBundle', side: 'source' },
  { phase: 'checkpoint', step: 'checkpoint', side: 'source' },
  { phase: 'transfer', step: 'pushImages', side: 'source' },
  { phase: 'restore', step: 'restore', side: 'target' },
  { phase: 'verify', step: 'verify', side: 'target' },
  { phase: 'commit', step: 'commitSource', side: 'source' },
];

/** Each failure, with a short name for its containers. */
const SCENARIOS = {
  'kill -9 source worker': 'kill-src',
  'kill -9 target worker': 'kill-dst',
  'restart Temporal server': 'restart-server',
  'cut beta off the network for 12 s': 'cut-link',
  abort: 'abort',
} as const;
type Scenario = keyof typeof SCENARIOS;

interface Row {
  scenario: string;
  phase: string;
  outcome: string;
  where: string;
  counter: string;
  seconds: number;
  leftovers: string;
  violations: string[];
}

const rows: Row[] = [];
let lab: LabState;
let client: Client;
let close: () => Promise<void>;
let port = 7300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  lab = await bringLabUp();
  ({ client, close } = await connectClient());
}, 180_000);

afterAll(async () => {
  await close?.();
  const table = [
    '| scenario | phase | outcome | ends on | counter before → after | seconds to settle | leftovers | invariant |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.phase} | ${r.outcome} | ${r.where} | ${r.counter} | ${r.seconds.toFixed(1)} | ${r.leftovers || 'none'} | ${r.violations.length === 0 ? 'holds' : `BROKEN: ${r.violations.join('; ')}`} |`),
  ].join('\n');
  console.log(`fault matrix (${new Date().toISOString()}):\n${table}`);
  mkdirSync(path.join(godwitHome(), 'faults'), { recursive: true });
  writeFileSync(path.join(godwitHome(), 'faults', 'last-run.md'), `${table}\n`);
});

afterEach(() => clearFaults(lab));

/** Waits until the migration reports `phase` (the delay holds it there). */
async function reach(container: string, phase: Phase): Promise<void> {
  const handle = client.workflow.getHandle(`godwit-migrate-${container}`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const progress = await handle.query(progressQuery).catch(() => null);
    if (progress?.phase === phase) return;
    await sleep(100);
  }
  throw new Error(`the migration of ${container} never reached ${phase}`);
}

async function killWorker(name: string): Promise<void> {
  const h = readLabState()?.hosts.find((x) => x.name === name);
  if (h?.workerPid) process.kill(h.workerPid, 'SIGKILL');
  await sleep(2000);
  await labUp({ ...defaultLabOptions(), faultInjection: true }); // starts it again
}

async function restartServer(): Promise<void> {
  const state = readLabState();
  await stopProcess(state?.temporal.pid ?? null, 'start-dev');
  await sleep(1000);
  await labUp({ ...defaultLabOptions(), faultInjection: true }); // same SQLite file
}

async function apply(scenario: Scenario, container: string): Promise<void> {
  switch (scenario) {
    case 'kill -9 source worker':
      return killWorker('alpha');
    case 'kill -9 target worker':
      return killWorker('beta');
    case 'restart Temporal server':
      return restartServer();
    case 'cut beta off the network for 12 s': {
      // Down past the end of the held step, so its real work (pages, images, heartbeats,
      // the worker's own connection to the server) runs into the dead link.
      const veth = host(lab, 'beta').veth;
      await executeOk('ip', ['link', 'set', veth, 'down']);
      await sleep(12_000);
      await executeOk('ip', ['link', 'set', veth, 'up']);
      return;
    }
    case 'abort':
      // Refused once commit has begun: then the migration goes on, which is right too.
      await abortMigration(client, container, 'fault matrix').catch(() => undefined);
  }
}

describe('fault matrix: every failure in every phase leaves the container running exactly once', () => {
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    for (const { phase, step, side } of PHASES) {
      it(`${scenario} during ${phase}`, async () => {
        const container = `fm-${SCENARIOS[scenario]}-${phase}`;
        const w = await startWorkload(lab, 'alpha', container, port++);
        const before = await w.counterOn(host(lab, 'alpha'));
        injectFault(host(lab, side === 'source' ? 'alpha' : 'beta'), step, { action: 'delay', seconds: 8 });
        const started = Date.now();
        const handle = await startMigration(client, { container, source: 'alpha', target: 'beta', strategy: 'page-server', options: { hostTimeoutSeconds: 60 } });
        await reach(container, phase);
        await sleep(500); // inside the step now
        await apply(scenario, container);
        clearFaults(lab);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<null>((r) => (timer = setTimeout(() => r(null), 240_000)));
        const report = await Promise.race([resultOf(handle), deadline]);
        clearTimeout(timer);
        const settled = await checkInvariant(lab, w, before);
        const violations = [...settled.violations, ...(report === null ? ['did not settle within 240 s'] : [])];
        rows.push({
          scenario,
          phase,
          outcome: report?.outcome ?? 'stuck',
          where: settled.where,
          counter: `${before} → ${settled.counterAfter ?? '-'}`,
          seconds: (Date.now() - started) / 1000,
          leftovers: settled.leftovers.join(', '),
          violations,
        });
        for (const h of lab.hosts) await labRemove(h.name, container);
        expect(violations).toEqual([]);
        expect(['migrated', 'rolled-back']).toContain(report?.outcome);
      });
    }
  }
});
