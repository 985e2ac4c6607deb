// A load to put on an HTTP service, as data: what each simulated visitor requests, in turn, how
// many visitors at once and for how long. The same plan drives Siege (siege.ts: the summary the
// seed paper reports) and the request recorder (request-recorder.ts: every request's times).
import { z } from 'zod';

export const LoadRequest = z.object({
  method: z.enum(['GET', 'POST']),
  /** Absolute path and query, e.g. /?p=4. */
  path: z.string().regex(/^\/[^\s]*$/, 'an absolute path without spaces'),
  /** POST only: an application/x-www-form-urlencoded body. */
  body: z.string().regex(/^[^\s]*$/, 'URL-encoded, without spaces').optional(),
});
export type LoadRequest = z.infer<typeof LoadRequest>;

export const LoadPlan = z
  .object({
    /** The service's address and port; the Host header names them. */
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** Taken in order by every visitor, round and round (Siege's default, not -i). */
    requests: z.array(LoadRequest).min(1),
    /** Simulated visitors, each one request at a time (siege -c). */
    concurrency: z.number().int().min(1).max(255),
    /** How long the load lasts (siege -t <seconds>S). */
    seconds: z.number().int().positive(),
    /** Each visitor waits a random time up to this before each request (siege -d); 0: none (-b). */
    delaySeconds: z.number().nonnegative().default(0),
    /** A request with no complete answer by then fails (siege's timeout). */
    timeoutSeconds: z.number().int().positive().default(30),
    /** A new connection for every request (Siege's default) or one kept per visitor. */
    connection: z.enum(['close', 'keep-alive']).default('close'),
  })
  .refine((plan) => plan.requests.every((r) => (r.method === 'POST') === (r.body !== undefined)), 'a POST has a body and a GET none');
export type LoadPlan = z.infer<typeof LoadPlan>;
export type LoadPlanInput = z.input<typeof LoadPlan>;

/** The URL a request goes to; an IPv6 address is bracketed. */
export function requestUrl(plan: Pick<LoadPlan, 'address' | 'port'>, request: LoadRequest): string {
  const host = plan.address.includes(':') ? `[${plan.address}]` : plan.address;
  return `http://${host}:${plan.port}${request.path}`;
}
