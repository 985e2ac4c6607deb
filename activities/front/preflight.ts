// Before anything changes: the front answers, has the hold, and sends the backend to the source.
import type { FrontActivities, FrontFacts } from '../../policy/front-contract';
import { parseVersion, serverOf, showInfo, type BackendState } from '../../policy/front-commands';
import { AdminSocketDown, HaproxyRefused } from '../../runtime/haproxy-admin';
import { preconditionFailed } from '../errors';
import { moveFor, readBackend, type FrontContext } from './context';

/** HAProxy's version and the backend's state; a front that does not answer, or lacks the hold, is refused. */
async function look(ctx: FrontContext, backend: string): Promise<{ version: string; state: BackendState }> {
  const { front, admin } = ctx;
  try {
    const version = parseVersion(await admin.send(showInfo()));
    return { version, state: await readBackend(ctx, backend) };
  } catch (err) {
    if (err instanceof AdminSocketDown) throw preconditionFailed(err.message);
    if (err instanceof HaproxyRefused && /^Unknown command/.test(err.reason)) {
      throw preconditionFailed(`front ${front.name}: HAProxy has not loaded the hold script (lua-load ${front.holdScript}), so requests could not wait during the move`);
    }
    if (err instanceof HaproxyRefused) throw preconditionFailed(err.message);
    throw err;
  }
}

export function preflightSteps(ctx: FrontContext): Pick<FrontActivities, 'frontPreflight'> {
  const { front } = ctx;
  return {
    async frontPreflight(input): Promise<FrontFacts> {
      const move = moveFor(ctx, input);
      const { backend, source, target } = move;
      const { version, state } = await look(ctx, backend);
      const serving = serverOf(state, source.host);
      if (!serving) throw preconditionFailed(`front ${front.name}: backend ${backend} has no server ${source.host}, so it does not send requests to the source`);
      if (serving.admin !== 'ready') throw preconditionFailed(`front ${front.name}: backend ${backend}'s server ${source.host} is in ${serving.admin}, not in service`);
      if (serving.address !== source.address || serving.port !== source.port) {
        throw preconditionFailed(`front ${front.name}: backend ${backend} sends ${source.host}'s requests to ${serving.address}:${serving.port}, not to the source's ${source.address}:${source.port}`);
      }
      const other = serverOf(state, target.host);
      if (other && other.admin !== 'maint') throw preconditionFailed(`front ${front.name}: backend ${backend} already sends requests to ${target.host} (${other.address}:${other.port}, ${other.admin})`);
      if (state.hold.held) throw preconditionFailed(`front ${front.name}: backend ${backend} is holding its requests already (another move under way, or one that stopped before its switch or rollback)`);
      return { front: front.name, version, sourceSessions: serving.sessions };
    },
  };
}
