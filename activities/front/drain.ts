// Before the freeze: the backend's new requests wait in the front (held), and the source's
// in-flight ones finish; those still there after drainSeconds are cut (a TCP connection left
// open would otherwise keep the move waiting: it cannot follow the container anyway).
import { log } from '@temporalio/activity';
import type { DrainResult, FrontActivities } from '../../policy/front-contract';
import { drainPlan, serverOf, shutdownSessions } from '../../policy/front-commands';
import { heartbeating } from '../heartbeat';
import { preconditionFailed } from '../errors';
import { until } from '../host/polling';
import { moveFor, readBackend, serverLoad, type FrontContext } from './context';

export function drainSteps(ctx: FrontContext): Pick<FrontActivities, 'drainSource'> {
  const { front, admin } = ctx;
  return {
    async drainSource(input): Promise<DrainResult> {
      const move = moveFor(ctx, input);
      const { backend, source } = move;
      return await heartbeating(async (signal) => {
        const state = await readBackend(ctx, backend, signal);
        if (!serverOf(state, source.host)) throw preconditionFailed(`front ${front.name}: backend ${backend} has no server ${source.host} to drain`);
        for (const command of drainPlan(state, move)) await admin.send(command, { signal });
        const started = Date.now();
        const deadline = started + move.drainSeconds * 1000;
        let left = 0;
        await until(async () => {
          left = await serverLoad(ctx, backend, source.host, signal);
          return left === 0 || Date.now() >= deadline;
        }, signal);
        const waitedMs = Date.now() - started;
        if (left === 0) return { waitedMs, cut: 0 };
        log.warn('in-flight sessions to the source did not finish within the drain; cutting them', { front: front.name, backend, source: source.host, sessions: left });
        await admin.send(shutdownSessions(backend, source.host), { signal });
        return { waitedMs, cut: left };
      });
    },
  };
}
