// A host that does nothing but say what it was asked, and fails or stalls where a test
// tells it to. Only the workflow's decisions are under test here.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { HostActivities, KeptDiagnostics } from '../../policy/host-contract';
import type { Round } from '../../policy/convergence';
import type { ContainerUsage, HostUsage } from '../../policy/rebalance';

export type Step = keyof HostActivities;

/**
 * The fleet's finished steps, as `host:step`: a `whenReady` step waits here for the one
 * before it, as a real host waits for its record or the images' marker.
 */
export class StepsDone {
  private readonly done = new Set<string>();
  private waiters: { ready: (done: ReadonlySet<string>) => boolean; wake: () => void }[] = [];

  finished(host: string, step: Step): void {
    this.done.add(`${host}:${step}`);
    this.waiters = this.waiters.filter((w) => (w.ready(this.done) ? (w.wake(), false) : true));
  }

  /** Resolves once some host finished one of `steps` (any host: the transfer's marker comes from the source). */
  until(steps: readonly Step[], host?: string): Promise<void> {
    const ready = (done: ReadonlySet<string>) => [...done].some((d) => steps.some((step) => (host ? d === `${host}:${step}` : d.endsWith(`:${step}`))));
    if (ready(this.done)) return Promise.resolve();
    return new Promise((wake) => this.waiters.push({ ready, wake }));
  }
}

interface Wait {
  /** Any one of these steps. */
  anyOf: Step[];
  /** On the waiting step's own host, or (the images) from any. */
  sameHost: boolean;
}

/** What a `whenReady` step waits for, all of it, as a real host waits (activities/host). */
function waitsFor(step: Step, input: { lazyPages?: boolean }): Wait[] {
  const images: Wait = { anyOf: ['pushImages'], sameHost: false };
  switch (step) {
    case 'pushImages':
      return [{ anyOf: ['checkpoint', 'postCopyDump'], sameHost: true }];
    case 'startLazyPages':
      return [images];
    case 'restore':
      return input.lazyPages ? [images, { anyOf: ['startLazyPages'], sameHost: true }] : [images];
    case 'verify':
      return [{ anyOf: ['restore'], sameHost: true }];
    default:
      return [];
  }
}

export class FakeHost {
  /** Steps that throw: `times` attempts fail (default: all), with a retryable error unless `fatal`. */
  failures = new Map<Step, { times: number; fatal: boolean }>();
  /** Steps that wait, heartbeating, until the activity is cancelled or `release()` is called. */
  stalls = new Map<Step, { entered: () => void; released: Promise<void> }>();
  private attempts = new Map<Step, number>();
  /** The input each of a few steps last got, for tests of what the workflow passes on. */
  readonly inputs = new Map<Step, unknown>();
  /** Its steps wait where scheduled with the one before (false: a worker of an older build). */
  waitsWhenReady = true;
  /** What `criu check` says of this host's kernel. */
  features = { memDirtyTrack: false, uffdNoncoop: true };
  /** What a link measurement from this host finds. */
  linkBytesPerSecond: number | null = 500 * 1024 * 1024;
  /** What admitClients answers: null for a host-network container (nothing held). */
  admittedAt: number | null = null;
  /** What each pre-dump round reports (default: a tiny, converged round). */
  preDumpRounds: Round[] = [];
  /** The host's size, and the containers it runs (for rebalancing). */
  capacity = { cpuCores: 4, memoryBytes: 1000 };
  containers: ContainerUsage[] = [];
  /** What the undo steps that end a run's work directory say they kept of its logs. */
  keptLogs: KeptDiagnostics = {};

  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly done = new StepsDone(),
  ) {}

  failAt(step: Step, opts: { times?: number; fatal?: boolean } = {}): this {
    this.failures.set(step, { times: opts.times ?? Infinity, fatal: opts.fatal ?? true });
    return this;
  }

  /** Makes `step` stall; resolves `entered` once it is running. Returns a release function. */
  stallAt(step: Step): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredP = new Promise<void>((r) => (entered = r));
    const released = new Promise<void>((r) => (release = r));
    this.stalls.set(step, { entered, released });
    return { entered: enteredP, release };
  }

  /** Loaded by its containers alone, as a lab host is. */
  private usage(): HostUsage {
    const used = {
      cpuCores: this.containers.reduce((sum, c) => sum + c.cpuCores, 0),
      memoryBytes: this.containers.reduce((sum, c) => sum + c.memoryBytes, 0),
    };
    return { host: this.name, capacity: this.capacity, used, containers: this.containers };
  }

  /** `result` may be a function, called when the step has run (for times such as `runningAt`). */
  private async step<T>(step: Step, result: T | (() => T), input?: unknown): Promise<T> {
    await this.whenReady(step, input);
    this.log.push(`${this.name}:${step}`);
    const attempt = (this.attempts.get(step) ?? 0) + 1;
    this.attempts.set(step, attempt);
    const failure = this.failures.get(step);
    if (failure && attempt <= failure.times) {
      const message = `injected failure of ${step} on ${this.name}`;
      throw failure.fatal ? ApplicationFailure.nonRetryable(message, 'PreconditionFailed') : new Error(message);
    }
    const stall = this.stalls.get(step);
    if (stall) {
      stall.entered();
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 200);
      try {
        await Promise.race([stall.released, ctx.cancelled]);
      } finally {
        clearInterval(beat);
      }
    }
    this.done.finished(this.name, step);
    return typeof result === 'function' ? (result as () => T)() : result;
  }

  /** A step scheduled with the one before it waits for it, heartbeating, until cancelled. */
  private async whenReady(step: Step, input: unknown): Promise<void> {
    const given = (input ?? {}) as { whenReady?: boolean; lazyPages?: boolean };
    if (given.whenReady !== true) return;
    const waits = waitsFor(step, given);
    const ctx = Context.current();
    const beat = setInterval(() => ctx.heartbeat(), 200);
    try {
      await Promise.race([Promise.all(waits.map((w) => this.done.until(w.anyOf, w.sameHost ? this.name : undefined))), ctx.cancelled]);
    } finally {
      clearInterval(beat);
    }
  }

  /** `step`, remembering its input. */
  private stepWith<T>(step: Step, input: unknown, result: T | (() => T)): Promise<T> {
    this.inputs.set(step, input);
    return this.step(step, result, input);
  }

  activities(): HostActivities {
    const criu = { version: '4.2.1', usable: true, checkOutput: 'Looks good.', ...this.features };
    return {
      preflightSource: ({ container }) =>
        this.step('preflightSource', { host: this.name, criu, containerStatus: 'running', memoryBytes: 64 << 20, rootfsBytes: 1 << 20, cpuinfo: Buffer.from(container).toString('base64'), waitsWhenReady: this.waitsWhenReady, postCopyWhenReady: this.waitsWhenReady }),
      preflightTarget: (input) => this.stepWith('preflightTarget', input, { host: this.name, criu, containerExists: false, freeBytes: 1 << 30, cpuCompatible: true, cpuCheckOutput: '', waitsWhenReady: this.waitsWhenReady, postCopyWhenReady: this.waitsWhenReady }),
      pushBundle: () => this.step('pushBundle', { bytes: 1000, seconds: 0.1 }),
      stageBundle: () => this.step('stageBundle', undefined),
      measureLink: () => this.step('measureLink', { bytesPerSecond: this.linkBytesPerSecond }),
      startPageServer: () => this.step('startPageServer', { address: '10.0.0.2', port: 4000 }),
      checkpoint: (input) => this.stepWith('checkpoint', input, { frozenAt: Date.now(), seconds: 0.5, pagesWritten: input.pageServer ? 16384 : 0 }),
      preDump: ({ round }) => this.step('preDump', this.preDumpRounds[round - 1] ?? { round, pagesWritten: 10, pagesSkipped: 16374, seconds: 0.1, bytes: 40960 }),
      postCopyDump: (input) => this.stepWith('postCopyDump', input, { frozenAt: Date.now(), seconds: 0.2, pagesWritten: 0, pageServer: { address: '10.0.0.1', port: 4100 } }),
      pushImages: (input) => this.stepWith('pushImages', input, { bytes: 500, seconds: 0.1 }),
      startLazyPages: (input) => this.stepWith('startLazyPages', input, undefined),
      restore: (input) => this.step('restore', () => ({ runningAt: Date.now(), seconds: 0.3, pageBytes: input.lazyPages ? 0 : 64 << 20 }), input),
      awaitPagesDrained: () => this.step('awaitPagesDrained', { seconds: 1.5, drainedAt: Date.now() }),
      verify: (input) => this.step('verify', undefined, input),
      admitClients: () => this.step('admitClients', { admittedAt: this.admittedAt }),
      commitSource: () => this.step('commitSource', undefined),
      finishTarget: ({ keepImages }) => this.step('finishTarget', { keptAt: keepImages ? '/state/incoming/run' : null }),
      stopTargetContainer: () => this.step('stopTargetContainer', undefined),
      resumeSource: () => this.step('resumeSource', { action: 'resumed' as const, ...this.keptLogs }),
      cleanupTarget: () => this.step('cleanupTarget', this.keptLogs),
      keepDiagnostics: () => this.step('keepDiagnostics', this.keptLogs),
      utilisation: () => this.step('utilisation', this.usage()),
    };
  }
}
