// What post-copy needs of the source host beyond userfaultfd: a pipe CRIU may size.
import { z } from 'zod';

/**
 * The pipe CRIU's lazy-pages page server asks for: `pipe_read_dest_init()` (criu/page-pipe.c)
 * sets it to PIPE_MAX_SIZE pages (819, from PAGE_ALLOC_COSTLY_ORDER), and the kernel rounds a
 * pipe up to a power of two pages: 1024 pages, 4 MiB. Above `fs.pipe-max-size` that takes
 * CAP_SYS_RESOURCE; without it the resize fails, `page_server_serve()` ignores the failure,
 * and the first page request dies in `splice: -1: Bad file descriptor`.
 */
export const LAZY_PAGES_PIPE_BYTES = 4 * 1024 * 1024;

export const PipeLimit = z.object({
  /** `/proc/sys/fs/pipe-max-size`. */
  maxBytes: z.number().int().nonnegative(),
  /** Root there has CAP_SYS_RESOURCE, which lifts the limit. */
  privileged: z.boolean(),
});
export type PipeLimit = z.infer<typeof PipeLimit>;

/** Whether CRIU on a host with this limit can serve lazy pages. */
export const servesLazyPages = (limit: PipeLimit): boolean => limit.privileged || limit.maxBytes >= LAZY_PAGES_PIPE_BYTES;

/** Why a post-copy source cannot serve its pages, with the fix; null when it can. */
export function lazyPagesPipeProblem(host: string, limit: PipeLimit | undefined): string | null {
  // A worker older than this check reports nothing: it is judged at the dump, as before.
  if (!limit || servesLazyPages(limit)) return null;
  return (
    `post-copy needs host ${host} to serve pages through a ${LAZY_PAGES_PIPE_BYTES / 1048576} MiB pipe, but its fs.pipe-max-size is ${limit.maxBytes} bytes ` +
    `and root there lacks CAP_SYS_RESOURCE; raise it on ${host} (sysctl -w fs.pipe-max-size=${LAZY_PAGES_PIPE_BYTES}, which its worker does when it starts where /proc/sys is writable), or choose page-server`
  );
}
