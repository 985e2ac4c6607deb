import type { HostEntry } from '../policy/inventory';
import type { RunRef } from '../policy/host-contract';
import type { MigrationRequest } from '../policy/request';
import type { Compensations } from './compensations';
import { StepFailure } from './failures';
import type { HostStubs } from './hosts';
import type { MigrationTracker } from './tracker';
import { isCancellation } from '@temporalio/workflow';

/** Everything one migration's steps share. */
export interface MigrationContext {
  request: MigrationRequest;
  run: RunRef;
  tracker: MigrationTracker;
  compensations: Compensations;
  source: HostStubs;
  target: HostStubs;
  /** The hosts' addresses from the inventory, known after preflight. */
  hosts: { source: HostEntry; target: HostEntry };
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
