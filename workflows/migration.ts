// The MigrationWorkflow: preflight → prepare → checkpoint → transfer → restore → verify →
// commit, each step on the host that owns it, with a rollback to the source on any
// failure, abort or cancellation before commit.
import { frontStubs, onFront } from './front';
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { parseMigrationRequest, type MigrationRequest, type MigrationRequestInput } from '../policy/request';
import { criuVersionProblem, requiredTargetBytes } from '../policy/preflight';
import { planStrategy, type ConcreteStrategy, type PlanFacts, type PlanOptions } from '../policy/strategy';
import type { MigrationReport } from '../policy/report';
import type { KeptDiagnostics, PageServerEndpoint } from '../policy/host-contract';
import { abortUpdate, progressQuery } from './definitions';
import { describeFailure } from './failures';
import { keepUnfinishedLogs, noteKept } from './diagnostics';
import { fleet } from './hosts';
import { MigrationContext, onHost } from './context';
import { recordRestore, transferState } from './state-transfer';
import { freezeToVerified, lazyFreezeToRunning } from './freeze-path';
import { stopTargetOnUndo } from './target-undo';
import { Visibility } from './visibility';
import { DEFAULT_OUTBOUND_LIMIT } from '../policy/slots';
import { transportProblem, type Transport } from '../policy/transport';

/** Strategies this version can run; the planner may name others. */
const IMPLEMENTED: readonly ConcreteStrategy[] = ['page-server', 'stop-and-copy', 'pre-copy', 'post-copy'];

function parseRequest(input: unknown): MigrationRequest {
  const parsed = parseMigrationRequest(input);
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(parsed.error, 'InvalidInput');
  return parsed.value;
}

export async function migrationWorkflow(input: MigrationRequestInput): Promise<MigrationReport> {
  const request = parseRequest(input);
  const ctx = new MigrationContext(request, workflowInfo());
  const { tracker } = ctx;
  const forward = new CancellationScope();

  setHandler(progressQuery, () => tracker.progress(Date.now()));
  setHandler(
    abortUpdate,
    (reason) => {
      tracker.abortReason = reason.trim() || 'aborted by request';
      forward.cancel();
      return { phase: tracker.phase };
    },
    {
      validator: (reason: string) => {
        // From the UI the argument can be anything: accept only a short text.
        if (typeof reason !== 'string' || reason.length > 1000) throw new Error('the abort reason must be a text of at most 1000 characters');
        if (tracker.postCopyRunning) throw new Error(`too late to abort: post-copy, the container runs on ${request.target} with pages still on ${request.source}, so it can only go forward`);
        if (tracker.pastPointOfNoReturn) throw new Error(`too late to abort: the migration is in ${tracker.phase}`);
        if (tracker.aborting) throw new Error('the migration is already aborting');
      },
    },
  );

  const visibility = new Visibility(request);
  tracker.watch((t) => visibility.refresh(t));
  const migrate = async (): Promise<MigrationReport> => {
    try {
      await forward.run(() => moveContainer(ctx));
    } catch (err) {
      // Rejections of the request itself change nothing and need no rollback.
      if (err instanceof ApplicationFailure && err.type === 'InvalidInput') throw err;
      if (tracker.phase === 'preflight' && !isCancellation(err)) {
        // Nothing has changed on any host yet: fail with the reason, there is nothing to undo.
        throw ApplicationFailure.nonRetryable(describeFailure(err), 'PreconditionFailed');
      }
      return await rollBack(ctx, err);
    }
    return await commit(ctx);
  };
  try {
    const report = await migrate();
    visibility.finish(report.outcome);
    return report;
  } catch (err) {
    // Refused in preflight: nothing changed. Anything else is a failure a person must look at.
    const refused = err instanceof ApplicationFailure && (err.type === 'InvalidInput' || err.type === 'PreconditionFailed');
    visibility.finish(refused ? 'refused' : 'failed');
    throw err;
  } finally {
    await CancellationScope.nonCancellable(() => ctx.slot.release());
  }
}

/** The forward path, phase by phase. Any failure here is rolled back by the caller. */
async function moveContainer(ctx: MigrationContext): Promise<void> {
  const planned = await preflight(ctx);
  // At most a few migrations leave one host at once (inventory: maxOutboundMigrationsPerHost).
  if (patched('outbound-slots')) await ctx.slot.acquire(planned.outboundLimit, () => ctx.enter('queued'));
  const strategy = await prepare(ctx, planned);

  // From here the source may be frozen (and pre-dump images exist): undo brings it back.
  const { request, tracker } = ctx;
  if (!ctx.compensations.pending.includes('resumeSource')) undoOnSource(ctx);
  // The freeze-to-running path on the hosts; runs started before it replay step by step.
  if (strategy !== 'post-copy' && planned.freezePathOnHosts && patched('freeze-path-on-hosts')) return freezeToVerified(ctx, strategy);
  const postCopy = strategy === 'post-copy';
  if (postCopy && planned.postCopyPathOnHosts && patched('post-copy-freeze-path')) await lazyFreezeToRunning(ctx);
  else await restore(ctx, (await transferState(ctx, strategy)).lazyPages);
  if (postCopy) tracker.warnings.push(`post-copy: rollback to ${request.source} was possible only until the restore on ${request.target} started`);
  // A post-copy target runs on the source's pages: there is no way back to cancel to, so a
  // cancellation from here lets the drain and verify finish (an abort is refused, above).
  await (postCopy ? CancellationScope.nonCancellable(() => verify(ctx, postCopy)) : verify(ctx, postCopy));
}

/** The source's undo: brings the original back, whatever state the run left it in, and clears the run there. */
function undoOnSource(ctx: MigrationContext): void {
  const { run, source } = ctx;
  ctx.compensations.push(
    'resumeSource',
    async () => {
      const resumed = await source.undo.resumeSource(run);
      noteKept(ctx, source.name, resumed);
      return resumed;
    },
    { essential: true },
  );
}

/** What preflight learnt, for planning again once the link is measured. */
interface Planned {
  facts: PlanFacts;
  planOptions: CheckedPlanOptions;
  plan: { strategy: ConcreteStrategy; reason: string };
  /** How many migrations may leave the source host at once. */
  outboundLimit: number;
  /**
   * Both hosts' workers wait where a step is scheduled with the one before it. A worker of an
   * older build would run it at once (a push during the dump), so then the steps go one by one.
   */
  freezePathOnHosts: boolean;
  /** Both hosts run post-copy's freeze-to-running path on their own (workflows/freeze-path.ts). */
  postCopyPathOnHosts: boolean;
}

/** Looks up the hosts, asks both what they can do, and plans; nothing changes on a host. */
async function preflight(ctx: MigrationContext): Promise<Planned> {
  const { request, run, tracker, source, target } = ctx;
  ctx.enter('preflight');
  let fleetView: Awaited<ReturnType<typeof fleet.resolveHosts>>;
  try {
    fleetView = await fleet.resolveHosts({ source: request.source, target: request.target, container: request.container });
  } catch (err) {
    throw ApplicationFailure.nonRetryable(describeFailure(err), 'InvalidInput');
  }
  ctx.setHosts({ source: fleetView.source, target: fleetView.target });
  const { hosts } = ctx;
  if (fleetView.front) ctx.front = frontStubs(fleetView.front, hosts, request.options.hostTimeoutSeconds);
  const { transport, sharedPaths } = request.options;
  const sourceFacts = await onHost(source, 'preflight', () =>
    source.quick.preflightSource({ container: run.container, transport, target: hosts.target, ...(sharedPaths.length ? { sharedPaths } : {}) }),
  );
  // Every later step of both hosts knows the volumes (inputs unchanged when there are none).
  const volumes = sourceFacts.volumes ?? [];
  if (volumes.length > 0) ctx.run = { ...run, volumes };
  tracker.setVolumes(volumes);
  tracker.network.address = sourceFacts.network?.address ?? null;
  // A ghost file travels inside the images: the target must have room for one at the limit.
  const requiredBytes = requiredTargetBytes(sourceFacts, { ghostLimitBytes: request.options.ghostLimitBytes });
  const targetFacts = await onHost(target, 'preflight', () =>
    target.quick.preflightTarget({
      container: run.container,
      cpuinfo: sourceFacts.cpuinfo,
      requiredBytes,
      transport,
      ...(volumes.length ? { volumes } : {}),
      ...(sourceFacts.network ? { network: sourceFacts.network } : {}),
    }),
  );
  const { front } = ctx;
  if (front) {
    // Its servers are its hosts' addresses: a container with an address of its own needs no front.
    if (sourceFacts.network) {
      throw ApplicationFailure.nonRetryable(`container ${run.container} has an address of its own (${sourceFacts.network.address}); front ${front.name} serves containers in their host's network`, 'PreconditionFailed');
    }
    const facts = await onFront(front, 'preflight', () => front.quick.frontPreflight(front.move));
    tracker.front = { name: front.name, backend: front.move.backend, version: facts.version, heldSeconds: null, drainSeconds: null, cut: 0, released: 0 };
  }
  tracker.preflight = {
    sourceCriu: sourceFacts.criu.version,
    targetCriu: targetFacts.criu.version,
    memDirtyTrack: sourceFacts.criu.memDirtyTrack && targetFacts.criu.memDirtyTrack,
    uffdNoncoop: sourceFacts.criu.uffdNoncoop && targetFacts.criu.uffdNoncoop,
    memoryBytes: sourceFacts.memoryBytes,
    rootfsBytes: sourceFacts.rootfsBytes,
    targetFreeBytes: targetFacts.freeBytes,
  };
  const versionProblem = criuVersionProblem(sourceFacts.criu.version, targetFacts.criu.version);
  if (versionProblem) throw ApplicationFailure.nonRetryable(versionProblem, 'PreconditionFailed');
  const facts: PlanFacts = {
    source: request.source,
    target: request.target,
    sourceFeatures: sourceFacts.criu,
    targetFeatures: targetFacts.criu,
    memoryBytes: sourceFacts.memoryBytes,
    linkBytesPerSecond: null,
  };
  const planOptions: CheckedPlanOptions = {
    requested: request.strategy,
    maxDowntimeSeconds: request.options.maxDowntimeSeconds,
    allowPostCopy: request.options.allowPostCopy || request.options.allowExperimental === true,
    transport,
    targetReachableOverSsh: hosts.target.ssh !== undefined,
  };
  // A strategy the hosts cannot run is refused here, before anything changes.
  const plan = checkedPlan(facts, planOptions);
  tracker.plan = { requested: request.strategy, strategy: plan.strategy, reason: plan.reason };
  // (An orchestrator worker of an older build returns no limit: the default applies.)
  const freezePathOnHosts = sourceFacts.waitsWhenReady === true && targetFacts.waitsWhenReady === true;
  const postCopyPathOnHosts = sourceFacts.postCopyWhenReady === true && targetFacts.postCopyWhenReady === true;
  return { facts, planOptions, plan, outboundLimit: fleetView.maxOutboundMigrations ?? DEFAULT_OUTBOUND_LIMIT, freezePathOnHosts, postCopyPathOnHosts };
}

/** Puts the bundle on the target; for `auto`, measures the link and plans again. Returns the strategy. */
async function prepare(ctx: MigrationContext, planned: Planned): Promise<ConcreteStrategy> {
  const { request, run, tracker, source, target, hosts } = ctx;
  ctx.enter('prepare');
  ctx.compensations.push(
    'cleanupTarget',
    async () => {
      // Undefined from workers older than this answer: they kept nothing.
      const cleaned: KeptDiagnostics | undefined = await target.undo.cleanupTarget(run);
      noteKept(ctx, target.name, cleaned);
    },
    { essential: false },
  );
  // Undone after the source runs again (so requests let go reach a copy that serves them);
  // nothing to undo until the drain, and then whatever it did.
  const { front } = ctx;
  if (front) {
    ctx.compensations.push('restoreFront', async () => void (await onFront(front, 'rollback', () => front.undo.restoreSource(front.move))), { essential: true });
  }
  // From the first copy on, the source keeps a record of it (the final sync's window starts
  // there): a rollback from here clears it, as it clears what the later phases leave.
  if (patched('source-undo-from-prepare')) undoOnSource(ctx);
  const bundle = await onHost(source, 'prepare', () => source.long.pushBundle({ ...run, target: hosts.target }));
  tracker.rsyncBytes += bundle.bytes;
  tracker.volumeCopies(bundle.volumes, 'prepareSeconds');
  await onHost(target, 'prepare', () => target.quick.stageBundle(run));
  // `auto` chooses by how long a frozen copy would take: measure the link, then plan again.
  if (request.strategy === 'auto' && patched('plan-with-measured-link')) {
    const link = await onHost(source, 'prepare', () => source.quick.measureLink({ ...run, target: hosts.target }));
    const plan = checkedPlan({ ...planned.facts, linkBytesPerSecond: link.bytesPerSecond }, planned.planOptions);
    tracker.plan = { requested: request.strategy, strategy: plan.strategy, reason: plan.reason };
    return plan.strategy;
  }
  return planned.plan.strategy;
}

/** Starts the container on the target from the images (for post-copy, from the source's pages). */
async function restore(ctx: MigrationContext, lazyPages: PageServerEndpoint | undefined): Promise<void> {
  const { run, target } = ctx;
  ctx.enter('restore');
  stopTargetOnUndo(ctx);
  if (lazyPages) await onHost(target, 'restore', () => target.quick.startLazyPages({ ...run, pageServer: lazyPages }));
  // A lazy-pages daemon serves one restore: a post-copy restore is not retried in place.
  const restoring = lazyPages ? target.once : target.long;
  const restored = await onHost(target, 'restore', () => restoring.restore({ ...run, lazyPages: lazyPages !== undefined }));
  recordRestore(ctx, restored, lazyPages !== undefined);
}

/** The container answers its health check on the target (and, for post-copy, has all its pages). */
async function verify(ctx: MigrationContext, postCopy: boolean): Promise<void> {
  const { request, run, source, target } = ctx;
  ctx.enter('verify');
  const healthy = () => onHost(target, 'verify', () => target.long.verify({ ...run, healthCheck: request.options.healthCheck }));
  // (Runs started before this order drained first; they replay as they ran.)
  const admitFirst = postCopy && patched('post-copy-admits-before-drain');
  if (!postCopy || admitFirst) await healthy();
  if (!postCopy) return;
  // Post-copy: the target is the only live copy from its restore on, so its clients come in
  // now, not after the drain, or the downtime would grow with memory again.
  if (admitFirst) await admitClients(ctx);
  // The move is complete only when the source has handed over its last page.
  const { drainedAt } = await onHost(source, 'verify', () => source.long.awaitPagesDrained(run));
  // From the restore's end, not from the admission, which may come later and is not the drain.
  const { restoredAt } = ctx.tracker;
  ctx.tracker.postCopy = { drainSeconds: drainedAt !== undefined && restoredAt !== null ? Math.max(0, drainedAt - restoredAt) / 1000 : null };
  if (!admitFirst) await healthy();
}

/**
 * Lets the target's clients in: a held copy (its own address, or a host-network fence) is
 * down for them until then, so that is when downtime ends. Once per run.
 */
async function admitClients(ctx: MigrationContext): Promise<void> {
  const { request, run, tracker, target } = ctx;
  if (tracker.admitted) return;
  tracker.admitted = true;
  try {
    const { admittedAt } = await target.undo.admitClients(run);
    if (admittedAt !== null && tracker.runningAt !== null) tracker.runningAt = Math.max(tracker.runningAt, admittedAt);
  } catch (err) {
    tracker.warnings.push(`the container's clients could not be let in on ${request.target}: ${describeFailure(err)}`);
  }
}

/** The front's clients go to the target from here; they waited since the drain. */
async function switchFront(ctx: MigrationContext): Promise<void> {
  const { front, tracker } = ctx;
  if (!front) return;
  try {
    const switched = await onFront(front, 'commit', () => front.undo.switchToTarget(front.move));
    if (tracker.front) {
      tracker.front.released = switched.released;
      if (tracker.front.heldSince !== undefined) tracker.front.heldSeconds = Math.round(Date.now() - tracker.front.heldSince) / 1000;
    }
  } catch (err) {
    tracker.warnings.push(`front ${front.name} could not switch to ${ctx.request.target}: its clients are not reaching the container (${describeFailure(err)})`);
  }
}

interface CheckedPlanOptions extends PlanOptions {
  transport: Transport;
  targetReachableOverSsh: boolean;
}

function checkedPlan(facts: PlanFacts, options: CheckedPlanOptions): { strategy: ConcreteStrategy; reason: string } {
  const plan = planStrategy(facts, options);
  if (!plan.ok) throw ApplicationFailure.nonRetryable(plan.error, 'PreconditionFailed');
  if (!IMPLEMENTED.includes(plan.strategy)) {
    throw ApplicationFailure.nonRetryable(`${plan.strategy} is not available in this version (${plan.reason})`, 'PreconditionFailed');
  }
  const problem = transportProblem(options.transport, plan.strategy, { target: { name: facts.target, reachableOverSsh: options.targetReachableOverSsh } });
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'PreconditionFailed');
  return plan;
}

/** Undoes what was done, newest first, and reports where the container runs now. */
async function rollBack(ctx: MigrationContext, err: unknown): Promise<MigrationReport> {
  const { tracker, compensations } = ctx;
  const reason = tracker.aborting ? `aborted: ${tracker.abortReason}` : describeFailure(err);
  ctx.enter('rollback', { previousFailed: true });
  // Nothing may interrupt a rollback: not an abort, not a cancellation of the workflow.
  const due = compensations.pending;
  const { steps, essentialFailed } = await CancellationScope.nonCancellable(() => compensations.unwind(describeFailure));
  // The undo steps kept the run's logs on their way; where one did not finish, keep them now.
  await CancellationScope.nonCancellable(() => keepUnfinishedLogs(ctx, due, steps));
  tracker.close(Date.now(), !essentialFailed);
  tracker.phase = 'done';
  const report = tracker.report(essentialFailed ? 'failed' : 'rolled-back', Date.now(), { reason, rollback: steps });
  if (essentialFailed) {
    // Fail the workflow, so the UI shows it in red: a person must look at this container.
    throw ApplicationFailure.nonRetryable(`migration of ${tracker.request.container} failed and could not roll back: ${reason}`, 'RollbackFailed', report);
  }
  return report;
}

/** The target runs and is verified: removes the source's frozen original and the target's images. */
async function commit(ctx: MigrationContext): Promise<MigrationReport> {
  const { request, run, tracker, source, target } = ctx;
  ctx.enter('commit');
  // From here on the only way is forward.
  await CancellationScope.nonCancellable(async () => {
    // First the target's clients: the source is frozen and cut off, every moment counts.
    if (patched('admit-clients-at-commit')) await admitClients(ctx);
    await switchFront(ctx);
    try {
      const { keepSourceVolumes } = request.options;
      await source.undo.commitSource({ ...run, ...(keepSourceVolumes ? { keepVolumes: true } : {}) });
      if (keepSourceVolumes) for (const v of tracker.volumes) v.keptOnSource = true;
    } catch (err) {
      tracker.warnings.push(`the frozen original could not be removed from ${request.source}: ${describeFailure(err)}`);
    }
    const { front } = ctx;
    if (front) await onFront(front, 'commit', () => front.undo.retireSource(front.move)).catch((err: unknown) => tracker.warnings.push(`front ${front.name} kept the source's server: ${describeFailure(err)}`));
    try {
      // Undefined from workers older than this answer: nothing was kept.
      const finished: { keptAt: string | null } | undefined = await target.undo.finishTarget({ ...run, keepImages: request.options.keepImages });
      if (finished?.keptAt) tracker.keptImages.push({ host: request.target, path: finished.keptAt });
    } catch (err) {
      tracker.warnings.push(`images could not be removed from ${request.target}: ${describeFailure(err)}`);
    }
  });
  ctx.enter('done');
  tracker.close(Date.now(), true);
  return tracker.report('migrated', Date.now(), { reason: null, rollback: [] });
}
