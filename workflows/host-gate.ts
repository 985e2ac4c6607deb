// One gate per source host: a long-lived workflow that hands out outbound migration slots
// (policy/slots.ts) to migration workflows, and ends itself when nobody holds or waits.
// Migrations reach it with signal-with-start (the requestSlot activity); it answers with the
// slotGranted signal. A holder that vanished without releasing is found and dropped.
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { DEFAULT_OUTBOUND_LIMIT, acquire, emptySlots, isIdle, release, type SlotState } from '../policy/slots';
import { ACQUIRE_SLOT_SIGNAL, HOST_GATE_WORKFLOW, RELEASE_SLOT_SIGNAL, SLOT_GRANTED_SIGNAL, SLOTS_QUERY } from '../policy/names';
import { fleet } from './hosts';

export interface SlotRequest {
  /** The migration's workflow ID. */
  requester: string;
  limit: number;
}

export const acquireSlotSignal = defineSignal<[SlotRequest]>(ACQUIRE_SLOT_SIGNAL);
export const releaseSlotSignal = defineSignal<[{ requester: string }]>(RELEASE_SLOT_SIGNAL);
/** Sent to the migration: it may leave the host now. */
export const slotGrantedSignal = defineSignal<[{ host: string }]>(SLOT_GRANTED_SIGNAL);
export const slotsQuery = defineQuery<SlotState>(SLOTS_QUERY);

/** How long an idle gate lingers before ending; how often holders are checked while others wait. */
const IDLE_LINGER = '5 minutes';
const HOLDER_CHECK = '30 seconds';

export async function hostGateWorkflow(input: { host: string; state?: SlotState; limit?: number }): Promise<void> {
  if (typeof input?.host !== 'string') throw ApplicationFailure.nonRetryable(`${HOST_GATE_WORKFLOW} needs { host }`, 'InvalidInput');
  let state = input.state ?? emptySlots();
  let limit = input.limit ?? DEFAULT_OUTBOUND_LIMIT;
  const toNotify: string[] = [];
  const apply = (r: { state: SlotState; granted: string[] }) => {
    state = r.state;
    toNotify.push(...r.granted);
  };
  setHandler(acquireSlotSignal, (req) => {
    limit = req.limit;
    apply(acquire(state, req.requester, limit));
  });
  setHandler(releaseSlotSignal, ({ requester }) => apply(release(state, requester, limit)));
  setHandler(slotsQuery, () => state);

  for (;;) {
    while (toNotify.length > 0) {
      const requester = toNotify.shift() as string;
      try {
        await getExternalWorkflowHandle(requester).signal(slotGrantedSignal, { host: input.host });
      } catch {
        // The migration is gone: its slot goes to the next in line.
        apply(release(state, requester, limit));
      }
    }
    if (isIdle(state)) {
      if (!(await condition(() => !isIdle(state) || toNotify.length > 0, IDLE_LINGER))) return;
      continue;
    }
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof hostGateWorkflow>({ host: input.host, state, limit });
    const woke = await condition(() => toNotify.length > 0 || isIdle(state), HOLDER_CHECK);
    if (!woke && state.waiting.length > 0) {
      // Someone waits: a holder that ended without releasing (terminated, say) must not block it.
      for (const id of await finishedHolders(state.holders)) apply(release(state, id, limit));
    }
  }
}

/**
 * Of the holders, those no longer running. A look-up that fails after its retries finds none:
 * the gate must not end over it (that would drop every holder and waiter); the next check
 * asks again.
 */
async function finishedHolders(holders: string[]): Promise<string[]> {
  try {
    return (await fleet.finishedWorkflows({ workflowIds: holders })).finished;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return [];
  }
}
