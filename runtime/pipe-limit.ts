// The host's pipe limit as CRIU's lazy-pages page server meets it, and raising it.
import { hasSysResource } from '../policy/preflight';
import { LAZY_PAGES_PIPE_BYTES, servesLazyPages, type PipeLimit } from '../policy/lazy-pages';
import type { HostRuntime } from './host-runtime';

const PIPE_MAX_SIZE = '/proc/sys/fs/pipe-max-size';

/** One command: over SSH each is a round trip. `/proc/self` is `cat`, with a session's capabilities. */
export async function readPipeLimit(rt: HostRuntime): Promise<PipeLimit> {
  const { stdout } = await rt.executeOk('cat', [PIPE_MAX_SIZE, '/proc/self/status']);
  const maxBytes = Number(stdout.split('\n', 1)[0]);
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(stdout)?.[1] ?? '0';
  return { maxBytes: Number.isSafeInteger(maxBytes) ? maxBytes : 0, privileged: hasSysResource(capEff) };
}

/** What `preparePipeLimit` did, in words for the worker's log; `ok` is whether post-copy can run. */
export interface PipeLimitChange {
  ok: boolean;
  said: string;
}

/**
 * Raises `fs.pipe-max-size` to what the page server needs where root cannot exceed it (as in
 * this sandbox: no CAP_SYS_RESOURCE) and /proc/sys is writable. Never lowers it.
 */
export async function preparePipeLimit(rt: HostRuntime, host: string): Promise<PipeLimitChange> {
  const limit = await readPipeLimit(rt);
  if (servesLazyPages(limit)) return { ok: true, said: `host ${host}: fs.pipe-max-size ${limit.maxBytes}${limit.privileged ? ', and root has CAP_SYS_RESOURCE' : ''}: post-copy can serve pages` };
  const written = await rt.execute('tee', [PIPE_MAX_SIZE], { input: `${LAZY_PAGES_PIPE_BYTES}\n` });
  const after = written.code === 0 ? await readPipeLimit(rt) : limit;
  if (servesLazyPages(after)) {
    return { ok: true, said: `host ${host}: raised fs.pipe-max-size from ${limit.maxBytes} to ${after.maxBytes}, the pipe CRIU's post-copy page server needs (root here lacks CAP_SYS_RESOURCE)` };
  }
  const why = written.stderr.trim() || `it reads ${after.maxBytes}`;
  return { ok: false, said: `host ${host}: fs.pipe-max-size is ${limit.maxBytes} and could not be raised to ${LAZY_PAGES_PIPE_BYTES} (${why}); post-copy from this host is refused in preflight` };
}
