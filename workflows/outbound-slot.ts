// A migration's slot on its source host's gate (workflows/host-gate.ts): asked for before
// anything changes on a host, given back whatever the outcome.
import { condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { hostGateWorkflowId } from '../policy/names';
import { releaseSlotSignal, slotGrantedSignal } from './host-gate';
import { fleet } from './hosts';

export class OutboundSlot {
  private granted = false;
  private requested = false;

  constructor(
    private readonly host: string,
    private readonly requester: string,
  ) {
    setHandler(slotGrantedSignal, (grant) => {
      if (grant.host === this.host) this.granted = true;
    });
  }

  /** Waits for the slot; `onQueued` is called if it is not free at once. */
  async acquire(limit: number, onQueued: () => void): Promise<void> {
    this.requested = true;
    await fleet.requestSlot({ host: this.host, requester: this.requester, limit });
    // A free slot is granted within moments; longer means others are leaving the host.
    if (await condition(() => this.granted, '2 seconds')) return;
    onQueued();
    await condition(() => this.granted);
  }

  /** Gives the slot (or the place in the queue) back. Never fails the migration. */
  async release(): Promise<void> {
    if (!this.requested) return;
    try {
      await getExternalWorkflowHandle(hostGateWorkflowId(this.host)).signal(releaseSlotSignal, { requester: this.requester });
    } catch {
      // The gate is gone (it checks its holders anyway): nothing is held.
    }
  }
}
