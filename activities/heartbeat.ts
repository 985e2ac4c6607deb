import { Context } from '@temporalio/activity';

/**
 * Runs long work while heartbeating, so Temporal notices a dead worker within the
 * heartbeat timeout and can deliver cancellation (which only arrives with heartbeats).
 * `work` gets the activity's cancellation signal: pass it to every command it runs.
 */
export async function heartbeating<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 1000);
  try {
    return await work(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
