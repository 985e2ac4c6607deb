// How many migrations may leave one host at once (KubeVirt's default is 2 outbound per node):
// a first-come, first-served queue of slots. Pure, so the gate workflow's decisions are
// unit-tested; the gate (workflows/host-gate.ts) only delivers them.
import { z } from 'zod';

export const SlotState = z.object({
  /** Migrations (workflow IDs) holding a slot now. */
  holders: z.array(z.string()),
  /** Migrations waiting for one, oldest first. */
  waiting: z.array(z.string()),
});
export type SlotState = z.infer<typeof SlotState>;

export const DEFAULT_OUTBOUND_LIMIT = 2;

export const emptySlots = (): SlotState => ({ holders: [], waiting: [] });

export const isIdle = (s: SlotState): boolean => s.holders.length === 0 && s.waiting.length === 0;

/** Whoever the queue lets in now, given `limit` slots. */
function admit(s: SlotState, limit: number): { state: SlotState; granted: string[] } {
  const free = Math.max(0, limit - s.holders.length);
  const granted = s.waiting.slice(0, free);
  return { state: { holders: [...s.holders, ...granted], waiting: s.waiting.slice(granted.length) }, granted };
}

/**
 * A migration asks for a slot. One that already holds one is granted again (its request was
 * retried); one already waiting keeps its place.
 */
export function acquire(s: SlotState, requester: string, limit: number): { state: SlotState; granted: string[] } {
  if (s.holders.includes(requester)) return { state: s, granted: [requester] };
  const queued = s.waiting.includes(requester) ? s : { ...s, waiting: [...s.waiting, requester] };
  return admit(queued, limit);
}

/** A migration is done (or gone): its slot, or its place in the queue, goes to the next. */
export function release(s: SlotState, requester: string, limit: number): { state: SlotState; granted: string[] } {
  const left = { holders: s.holders.filter((h) => h !== requester), waiting: s.waiting.filter((w) => w !== requester) };
  return admit(left, limit);
}
