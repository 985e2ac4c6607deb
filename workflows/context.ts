import type { HostEntry } from '../policy/inventory';
import type { RunRef } from '../policy/host-contract';
import { legacyMigrationRunKey, migrationRunKey } from '../policy/names';
import type { Phase } from '../policy/phases';
import type { MigrationRequest } from '../policy/request';
import { Compensations } from './compensations';
import { StepFailure } from './failures';
import { hostStubs, type HostStubs } from './hosts';
import { OutboundSlot } from './outbound-slot';
import { MigrationTracker } from './tracker';
import type { FrontStubs } from './front';
import { isCancellation, patched } from '@temporalio/workflow';

/** The hosts' entries in the inventory (addresses, ports, SSH), as preflight looked them up. */
export interface InventoryHosts {
  source: HostEntry;
  target: HostEntry;
}

/**
 * Everything one migration's steps share. Built once, when the workflow starts, and handed
 * to every step, from preflight to commit or rollback.
 */
export class MigrationContext {
  /** Names the run in every host step; gains the volumes once preflight has found them. */
  run: RunRef;
  readonly tracker: MigrationTracker;
  readonly compensations = new Compensations();
  readonly source: HostStubs;
  readonly target: HostStubs;
  /** The source host's outbound slot (workflows/host-gate.ts). */
  readonly slot: OutboundSlot;
  /** The front its clients come through, if the inventory names one (set by preflight). */
  front: FrontStubs | null = null;
  private inventoryHosts: InventoryHosts | null = null;

  constructor(
    readonly request: MigrationRequest,
    workflow: { workflowId: string; runId: string },
  ) {
    this.tracker = new MigrationTracker(request, workflow.workflowId, Date.now());
    // Runs recorded before the whole run ID was digested keep their key (and their paths).
    const runKey = (patched('run-key-whole-id') ? migrationRunKey : legacyMigrationRunKey)(request.container, workflow.runId);
    // Inputs stay as before for the default (refuse), as old histories recorded them.
    const drop = request.options.frozenConnections === 'drop' ? { frozenConnections: 'drop' as const } : {};
    this.run = { container: request.container, runKey, transport: request.options.transport, ...drop };
    this.source = hostStubs(request.source, request.options.hostTimeoutSeconds);
    this.target = hostStubs(request.target, request.options.hostTimeoutSeconds);
    this.slot = new OutboundSlot(request.source, workflow.workflowId);
  }

  /**
   * Starts `phase`: the only place a migration's phase begins. The phase it was in ends,
   * successfully unless `previousFailed`; the progress query and the UI show the new one.
   */
  enter(phase: Phase, opts: { previousFailed?: boolean } = {}): void {
    const now = Date.now();
    if (opts.previousFailed) this.tracker.close(now, false);
    this.tracker.enter(phase, now);
  }

  /** The hosts' inventory entries. Known once preflight has looked them up (`setHosts`). */
  get hosts(): InventoryHosts {
    if (this.inventoryHosts === null) throw new Error('the hosts are not known before preflight has looked them up');
    return this.inventoryHosts;
  }

  /** Set once, by preflight, before any step that needs an address runs. */
  setHosts(hosts: InventoryHosts): void {
    if (this.inventoryHosts !== null) throw new Error('the hosts are set once, by preflight');
    this.inventoryHosts = hosts;
  }
}

/** Calls a host step and names the host and step in any failure. */
export async function onHost<T>(host: HostStubs, step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // Cancellation (abort, workflow cancel) passes through untouched, so it is recognised as such.
    if (isCancellation(err)) throw err;
    throw new StepFailure(host.name, step, err);
  }
}
