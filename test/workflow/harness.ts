// A real Temporal dev server (the bootstrap's `temporal` binary), the real workflow code,
// and fake hosts on the real per-host task queues.
import { FakeFront } from './fake-front';
import { SEARCH_ATTRIBUTES } from '../../policy/search-attributes';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createFleetActivities } from '../../activities/fleet-activities';
import { ORCHESTRATOR_TASK_QUEUE, hostTaskQueue, frontTaskQueue } from '../../policy/names';
import type { Inventory } from '../../policy/inventory';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { FakeHost, StepsDone } from './fake-host';
import { DEFAULT_OUTBOUND_LIMIT } from '../../policy/slots';

export const INVENTORY: Inventory = {
  hosts: [
    { name: 'alpha', address: '10.0.0.1', transferPort: 873 },
    { name: 'beta', address: '10.0.0.2', transferPort: 873 },
    // Known to the inventory, but no worker ever serves it: a dead host.
    { name: 'gamma', address: '10.0.0.3', transferPort: 873 },
  ],
  // Behind front edge (a fleet's `front`, when it has one; otherwise no worker serves it).
  frontedServices: ['fronted-ok', 'fronted-rollback', 'fronted-down'].map((container) => ({ container, front: 'edge', backend: container, port: 8080 })),
  maxOutboundMigrationsPerHost: DEFAULT_OUTBOUND_LIMIT,
};

export const TEMPORAL_BINARY = path.join(process.env.GODWIT_HOME ?? '/var/lib/godwit', 'bin', 'temporal');

export async function startEnvironment(): Promise<{ env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap }> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: TEMPORAL_BINARY },
      extraArgs: ['--log-level', 'error'],
      searchAttributes: Object.values(SEARCH_ATTRIBUTES),
    },
  });
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return { env, bundle };
}

/**
 * One dev server and workflow bundle for a test file: started before its tests, stopped after.
 * Read `env` and `bundle` inside tests (they are set once beforeAll has run).
 */
export function useEnvironment(): { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap } {
  const holder = {} as { env: TestWorkflowEnvironment; bundle: WorkflowBundleWithSourceMap };
  beforeAll(async () => {
    Object.assign(holder, await startEnvironment());
  }, 120_000);
  afterAll(async () => {
    await holder.env?.teardown();
  });
  return holder;
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export interface Fleet {
  log: string[];
  alpha: FakeHost;
  beta: FakeHost;
  front?: FakeFront;
}

export function newFleet(): Fleet {
  const log: string[] = [];
  const done = new StepsDone();
  return { log, alpha: new FakeHost('alpha', log, done), beta: new FakeHost('beta', log, done) };
}

/** Runs the orchestrator and both fake hosts' workers while `fn` runs. */
export async function withWorkers<T>(env: TestWorkflowEnvironment, bundle: WorkflowBundleWithSourceMap, fleet: Fleet, fn: () => Promise<T>): Promise<T> {
  const connection = env.nativeConnection;
  const workers = await Promise.all([
    Worker.create({
      connection,
      taskQueue: ORCHESTRATOR_TASK_QUEUE,
      workflowBundle: bundle,
      activities: createFleetActivities(() => Promise.resolve(INVENTORY)),
    }),
    ...[fleet.alpha, fleet.beta].map((host) => Worker.create({ connection, taskQueue: hostTaskQueue(host.name), activities: host.activities() })),
    ...(fleet.front ? [Worker.create({ connection, taskQueue: frontTaskQueue(fleet.front.name), activities: fleet.front.activities() })] : []),
  ]);
  const running = workers.map((w) => w.run());
  try {
    return await fn();
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.all(running);
  }
}

/** With GODWIT_RECORD_HISTORIES=1, saves a run's history for the replay test. */
export async function maybeRecordHistory(env: TestWorkflowEnvironment, workflowId: string, name: string): Promise<void> {
  if (process.env.GODWIT_RECORD_HISTORIES !== '1') return;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const dir = path.join(__dirname, '..', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), `${historyToJSON(history)}\n`);
}
