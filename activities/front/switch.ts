// Where the backend sends requests after the freeze: to the target after verify, back to the
// source on rollback, and the source's server gone after commit. Each step reads the state,
// sends what its plan (policy/front-commands.ts) says is left, and reads again until nothing is;
// then haproxy.cfg is rewritten to match, so a restart of HAProxy keeps the move.
import type { FrontActivities, FrontMove, FrontSwitchResult } from '../../policy/front-contract';
import { restorePlan, retirePlan, switchPlan, type AdminCommand, type BackendState } from '../../policy/front-commands';
import { HaproxyRefused } from '../../runtime/haproxy-admin';
import { heartbeating } from '../heartbeat';
import { preconditionFailed } from '../errors';
import { moveFor, readBackend, recordServers, type FrontContext } from './context';

/** Rounds of read-then-send before a step gives up (a server that keeps connections for longer). */
const MAX_ROUNDS = 100;

/** `del server` waits for the server's last connections (idle ones are purged within seconds). */
const stillConnected = (err: unknown) => err instanceof HaproxyRefused && /still has connections/.test(err.reason);

async function converge(ctx: FrontContext, move: FrontMove, plan: (state: BackendState, move: FrontMove) => AdminCommand[], signal: AbortSignal): Promise<FrontSwitchResult> {
  let sent = 0;
  for (let round = 1; ; round++) {
    const state = await readBackend(ctx, move.backend, signal);
    const commands = plan(state, move);
    if (commands.length === 0) {
      await recordServers(ctx, signal);
      return { released: state.hold.entered, commands: sent };
    }
    if (round > MAX_ROUNDS) throw new Error(`front ${ctx.front.name}: backend ${move.backend} did not settle; still to do: ${commands.map((c) => c.join(' ')).join('; ')}`);
    for (const command of commands) {
      try {
        await ctx.admin.send(command, { signal });
        sent++;
      } catch (err) {
        if (!stillConnected(err)) throw err;
        await new Promise((r) => setTimeout(r, 200));
        break;
      }
    }
  }
}

export function switchSteps(ctx: FrontContext): Pick<FrontActivities, 'switchToTarget' | 'restoreSource' | 'retireSource'> {
  return {
    async switchToTarget(input) {
      const move = moveFor(ctx, input);
      return await heartbeating((signal) => converge(ctx, move, switchPlan, signal));
    },
    async restoreSource(input) {
      const move = moveFor(ctx, input);
      return await heartbeating((signal) => converge(ctx, move, restorePlan, signal));
    },
    async retireSource(input) {
      const move = moveFor(ctx, input);
      const retire = (state: BackendState, m: FrontMove) => {
        try {
          return retirePlan(state, m);
        } catch (err) {
          throw preconditionFailed(`front ${ctx.front.name}: ${(err as Error).message}`);
        }
      };
      await heartbeating((signal) => converge(ctx, move, retire, signal));
    },
  };
}
