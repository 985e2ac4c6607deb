// Ending a post-copy dump that still serves pages, with the container alive on the source.
//
// CRIU hands the dumped tasks back alive only when its lazy page transfer *fails*
// (cr_dump_finish: TASK_ALIVE on an error). A transfer that merely ends, because the
// target's lazy-pages daemon closed its connection or was killed, counts as finished, and
// CRIU then kills the source's tasks. Killing CRIU itself leaves them dead too (measured).
// So a rollback makes the transfer fail: it destroys the page server's connection (ss -K),
// or, when nothing is connected yet, sends it less than one request. Either way CRIU logs
// "Lazy pages transfer FAILED", resumes the tasks and exits.
import { log } from '@temporalio/activity';
import type { RunRef } from '../../policy/host-contract';
import { daemonPid, stopDaemon } from '../../runtime/daemon';
import { readText, type HostContext } from './context';
import path from 'node:path';

/** How long CRIU has to give the container back before it is stopped by force. */
const RELEASE_SECONDS = 60;

/** A connection that sends one byte, less than a request (fixed script; address and port are arguments). */
const SHORT_REQUEST = 'exec 3<>"/dev/tcp/$1/$2" && printf x >&3';

/** The page server's `address:port`, from the dump's own arguments (`--page-server`). */
function pageServerOf(argv: readonly string[]): { address: string; port: number } | null {
  const value = argv[argv.indexOf('--page-server') + 1];
  const match = argv.includes('--page-server') ? /^(.+):(\d+)$/.exec(value ?? '') : null;
  return match ? { address: match[1], port: Number(match[2]) } : null;
}

/**
 * Ends this run's post-copy dump so that the container is alive on the source again;
 * nothing when no dump runs. Only for a rollback before the target ran on the pages: after
 * that the pages are the target's state (the workflow never calls it then).
 */
export async function releaseLazyDump(ctx: HostContext, run: RunRef, signal: AbortSignal): Promise<void> {
  const { rt, host, layout, records } = ctx;
  const pidFile = records.postCopyDumpPidFile(run);
  const marker = layout.outgoingImages(run.runKey);
  const pid = await daemonPid(rt, pidFile, marker);
  if (pid === null) return;
  const argv = (await rt.readFile(`/proc/${pid}/cmdline`)).toString('utf8').split('\0');
  const server = pageServerOf(argv);
  const deadline = Date.now() + RELEASE_SECONDS * 1000;
  while (server && Date.now() < deadline && !signal.aborted) {
    // The lazy-pages daemon's connection, if it made one: destroyed, CRIU's read fails.
    await rt.execute('ss', ['-K', '-t', 'state', 'established', 'sport', '=', `:${server.port}`]);
    // No connection yet (or CRIU still dumping): a short request fails the transfer once it listens.
    await rt.execute('bash', ['-c', SHORT_REQUEST, 'godwit', server.address, String(server.port)], { timeoutMs: 5000 });
    for (let i = 0; i < 10 && (await daemonPid(rt, pidFile, marker)) !== null; i++) await new Promise((r) => setTimeout(r, 100));
    if ((await daemonPid(rt, pidFile, marker)) === null) {
      const dumpLog = await readText(rt, path.join(layout.work(run.runKey, 'dump'), 'dump.log'));
      log.info('post-copy dump released', { container: run.container, failedAsAsked: dumpLog.includes('Lazy pages transfer FAILED') });
      return;
    }
  }
  // Last resort; CRIU's tasks may not survive it, which resumeSource then finds and says.
  log.warn('post-copy dump did not give the container back; stopping it', { container: run.container, host: host.name });
  await stopDaemon(rt, pidFile, marker);
}
