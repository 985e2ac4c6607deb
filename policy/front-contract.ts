// What a front can be asked to do. A front's worker serves these on the front's own task queue
// (frontTaskQueue); the workflow calls them around a move between networks. Inputs and
// results are small and carry no secrets: they are kept in workflow history.
import { z } from 'zod';
import { BackendName, FrontServer } from './front';

/** One service's move from the source's server to the target's. The same input for every step. */
export const FrontMove = z
  .object({
    backend: BackendName,
    source: FrontServer,
    target: FrontServer,
    /** How long the drain waits for in-flight requests (or open connections) to the source before it cuts them. */
    drainSeconds: z.number().int().min(0).max(3600).default(30),
  })
  .strict()
  .refine((move) => move.source.host !== move.target.host, { message: 'the source and the target are the same host', path: ['target', 'host'] });
export type FrontMove = z.infer<typeof FrontMove>;
export type FrontMoveInput = z.input<typeof FrontMove>;

export const FrontFacts = z.object({
  front: z.string(),
  /** HAProxy's version, as it reports it. */
  version: z.string(),
  /** Sessions on the source's server at preflight. */
  sourceSessions: z.number().int().nonnegative(),
});
export type FrontFacts = z.infer<typeof FrontFacts>;

export const DrainResult = z.object({
  /** From the hold to the source having nothing in flight. */
  waitedMs: z.number().nonnegative(),
  /** Sessions still on the source after drainSeconds, shut down. */
  cut: z.number().int().nonnegative(),
});
export type DrainResult = z.infer<typeof DrainResult>;

export const FrontSwitchResult = z.object({
  /** Requests that waited in the hold and were let go (to the new server). */
  released: z.number().int().nonnegative(),
  /** Commands this attempt carried out; 0 when an earlier attempt had done everything. */
  commands: z.number().int().nonnegative(),
});
export type FrontSwitchResult = z.infer<typeof FrontSwitchResult>;

export interface FrontActivities {
  /** The front answers on its admin socket, serves the backend from the source, and can hold it. Changes nothing. */
  frontPreflight(input: FrontMoveInput): Promise<FrontFacts>;
  /** Before the freeze: new requests wait in the front; returns once the source has none in flight. */
  drainSource(input: FrontMoveInput): Promise<DrainResult>;
  /** After verify: the target in service, the source in maint, the waiting requests let go to the target. */
  switchToTarget(input: FrontMoveInput): Promise<FrontSwitchResult>;
  /** Rollback, whatever was done: the source in service, the waiting requests let go to it, the target's server removed. */
  restoreSource(input: FrontMoveInput): Promise<FrontSwitchResult>;
  /** After commit: the source's server (in maint since the switch) removed. */
  retireSource(input: FrontMoveInput): Promise<void>;
}
