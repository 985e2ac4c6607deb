import { z } from 'zod';

/**
 * How pages move. Only `page-server` runs in this version; the others are named now so
 * requests, reports and the planner have one vocabulary when they arrive.
 */
export const Strategy = z.enum(['page-server', 'stop-and-copy', 'pre-copy', 'post-copy', 'auto']);
export type Strategy = z.infer<typeof Strategy>;

export const IMPLEMENTED_STRATEGIES: readonly Strategy[] = ['page-server'];

export function isImplemented(strategy: Strategy): boolean {
  return IMPLEMENTED_STRATEGIES.includes(strategy);
}
