// What every front step works with: the front's file, its admin socket, and a reading of one
// backend's state (servers, their sessions, the hold), which each step takes before it acts.
import { FrontMove, type FrontMoveInput } from '../../policy/front-contract';
import { backendState, parseServerStats, showHold, showServersState, showServerStats, type BackendState } from '../../policy/front-commands';
import { frontService, type FrontConfig } from '../../policy/front';
import { describeZodError } from '../../policy/request';
import { HaproxyAdmin } from '../../runtime/haproxy-admin';
import type { HostRuntime } from '../../runtime/host-runtime';
import { invalidInput, preconditionFailed } from '../errors';

export interface FrontContext {
  front: FrontConfig;
  admin: HaproxyAdmin;
}

export function createFrontContext(rt: HostRuntime, front: FrontConfig): FrontContext {
  return { front, admin: new HaproxyAdmin(rt, { front: front.name, socket: front.adminSocket, socat: front.socat }) };
}

/** The step's input, parsed, for a backend this front has. */
export function moveFor({ front }: FrontContext, input: FrontMoveInput): FrontMove {
  const parsed = FrontMove.safeParse(input);
  if (!parsed.success) throw invalidInput(`invalid front move: ${describeZodError(parsed.error)}`);
  if (!frontService(front, parsed.data.backend)) {
    throw preconditionFailed(`front ${front.name} has no service ${parsed.data.backend} (it has ${front.services.map((s) => s.name).join(', ')})`);
  }
  return parsed.data;
}

/** The backend's servers with their sessions, and its hold: three commands. */
export async function readBackend({ admin }: FrontContext, backend: string, signal?: AbortSignal): Promise<BackendState> {
  const servers = await admin.send(showServersState(backend), { signal });
  const stats = await admin.send(showServerStats(), { signal });
  const hold = await admin.send(showHold(backend), { signal });
  return backendState(backend, servers, stats, hold);
}

/** Sessions and queue of one server: what a drain polls (one command). */
export async function serverLoad({ admin }: FrontContext, backend: string, host: string, signal?: AbortSignal): Promise<number> {
  const load = parseServerStats(await admin.send(showServerStats(), { signal }), backend).get(host);
  return load ? load.sessions + load.queued : 0;
}
