// One host for unit tests of its steps: the real activities over a MemoryRuntime whose runc,
// CRIU and rsync are FakeTools, each step run in a mock activity context (for heartbeats).
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createHostActivities } from '../../activities/host-activities';
import type { HostActivities, Peer, RunRef } from '../../policy/host-contract';
import type { HostConfig } from '../../policy/inventory';
import { HostLayout } from '../../runtime/layout';
import { FakeTools } from './fake-tools';
import { MemoryRuntime, type Operation } from './memory-runtime';

export const STATE_DIR = '/var/lib/godwit/host';

const HOST: HostConfig = {
  name: 'alpha',
  address: '10.0.0.1',
  transferPort: 8873,
  stateDir: STATE_DIR,
  netnsPath: '/run/netns/godwit-alpha',
  cgroupParent: 'godwit-alpha',
  runc: '/usr/sbin/runc',
  criu: '/usr/local/sbin/criu',
  rsync: '/usr/bin/rsync',
};

export const TARGET: Peer = { name: 'beta', address: '10.0.0.2', transferPort: 8873 };

export const RUN: RunRef = { container: 'web', runKey: 'run-1', transport: 'plain' };

export interface TestHost {
  rt: MemoryRuntime;
  tools: FakeTools;
  layout: HostLayout;
  steps: HostActivities;
  /** RUN's work directory, where the steps keep their records. */
  work: string;
  /** Files below `dir` (none once a step removed it). */
  filesBelow(dir: string): string[];
  /** Runs a step as Temporal would run one attempt of it. */
  attempt<K extends keyof HostActivities>(step: K, ...input: Parameters<HostActivities[K]>): ReturnType<HostActivities[K]>;
  /** The same, cancelled after `ms` as a timeout would cancel it (for steps that may wait). */
  attemptFor<K extends keyof HostActivities>(ms: number, step: K, ...input: Parameters<HostActivities[K]>): ReturnType<HostActivities[K]>;
  /** An attempt that starts `lateMs` after Temporal scheduled the step (a queue, a retry). */
  attemptLate<K extends keyof HostActivities>(lateMs: number, step: K, ...input: Parameters<HostActivities[K]>): ReturnType<HostActivities[K]>;
}

const quiet = new DefaultLogger('ERROR');

/** `host` changes the host file (e.g. a volumesDir). */
export function testHost(host: Partial<HostConfig> = {}): TestHost {
  const rt = new MemoryRuntime([STATE_DIR]);
  const steps = createHostActivities(rt, { ...HOST, ...host });
  const run = <K extends keyof HostActivities>(ms: number, lateMs: number, step: K, ...input: Parameters<HostActivities[K]>) => {
    const fn = steps[step] as (...args: unknown[]) => Promise<unknown>;
    rt.revive(); // a new attempt runs on a live worker, whatever the last one crashed before
    // Scheduled now, as Temporal schedules a step just before a worker runs it.
    const now = Date.now() - lateMs;
    const env = new MockActivityEnvironment({ scheduledTimestampMs: now, currentAttemptScheduledTimestampMs: now }, { logger: quiet });
    const timer = Number.isFinite(ms) ? setTimeout(() => env.cancel(), ms) : undefined;
    return env.run<unknown[], unknown, typeof fn>(fn, ...input).finally(() => clearTimeout(timer)) as ReturnType<HostActivities[K]>;
  };
  return {
    rt,
    tools: new FakeTools(rt),
    layout: new HostLayout(STATE_DIR),
    steps,
    work: new HostLayout(STATE_DIR).workRoot(RUN.runKey),
    filesBelow: (dir) => [...rt.files.keys()].filter((f) => f.startsWith(`${dir}/`)),
    attempt: (step, ...input) => run(Infinity, 0, step, ...input),
    attemptFor: (ms, step, ...input) => run(ms, 0, step, ...input),
    attemptLate: (lateMs, step, ...input) => run(Infinity, lateMs, step, ...input),
  };
}

/** Crash points: a command whose line contains `words`, or a write or removal of `file`. */
export const command =
  (program: string, ...words: string[]) =>
  (op: Operation) =>
    op.op === 'execute' && op.call.program === program && words.every((w) => op.call.args.includes(w));
export const writing = (file: string) => (op: Operation) => op.op === 'write' && op.path === file;
export const removing = (file: string) => (op: Operation) => op.op === 'remove' && op.path === file;

/** runc commands of one verb (`pause`, `checkpoint`, ...) that the host ran. */
export function runcCalls(rt: MemoryRuntime, verb: string): string[][] {
  return rt.calls.filter((c) => c.program === 'runc' && c.args.includes(verb)).map((c) => [...c.args]);
}
