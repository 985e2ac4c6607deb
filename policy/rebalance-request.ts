// What a rebalancing run is asked to do and what it reports. The RebalanceWorkflow takes one
// plain JSON object, so the Temporal UI's start form, the CLI and a Schedule all send the same.
import { z } from 'zod';
import { describeZodError, type ParseResult } from './request';
import { Strategy } from './strategy';
import { Outcome } from './report';
import { RebalancePlan, RebalancePolicy } from './rebalance';

/** Under 50% on both is under-used, over 80% on either is over-used (the descheduler's spirit). */
export const DEFAULT_REBALANCE_POLICY = {
  thresholds: { cpu: 50, memory: 50 },
  targetThresholds: { cpu: 80, memory: 80 },
} as const;

export const RebalanceRequest = z
  .object({
    /** Plan and report, move nothing. */
    dryRun: z.boolean().default(false),
    policy: RebalancePolicy.default(RebalancePolicy.parse(DEFAULT_REBALANCE_POLICY)),
    /** Migrations of one run that may be in flight at once. */
    maxConcurrentMoves: z.number().int().min(1).max(16).default(2),
    strategy: Strategy.default('auto'),
    /** A host that has not picked up the load question by then is left out of the plan. */
    hostTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
  })
  .strict();
export type RebalanceRequest = z.infer<typeof RebalanceRequest>;
export type RebalanceRequestInput = z.input<typeof RebalanceRequest>;

export function parseRebalanceRequest(input: unknown): ParseResult<RebalanceRequest> {
  // A run started from the UI with an empty form sends nothing: that means all defaults.
  const result = RebalanceRequest.safeParse(input ?? {});
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: `invalid rebalance request: ${describeZodError(result.error)}` };
}

export const MoveResult = z.object({
  container: z.string(),
  source: z.string(),
  target: z.string(),
  /** `not-started`: another migration of the container was already running. */
  outcome: z.union([Outcome, z.literal('not-started')]),
  reason: z.string().nullable(),
  workflowId: z.string(),
});
export type MoveResult = z.infer<typeof MoveResult>;

export const RebalanceReport = z.object({
  dryRun: z.boolean(),
  plan: RebalancePlan,
  moves: z.array(MoveResult),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type RebalanceReport = z.infer<typeof RebalanceReport>;
