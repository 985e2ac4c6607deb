// What every front step works with: the front's file, its admin socket, and a reading of one
// backend's state (servers, their sessions, the hold), which each step takes before it acts;
// and the record on disk (haproxy.cfg) of where each service's requests go.
import { FrontMove, type FrontMoveInput } from '../../policy/front-contract';
import { backendState, servingServer, parseServersState, parseServerStats, showHold, showServersState, showServerStats, type BackendState } from '../../policy/front-commands';
import { frontConfigText } from '../../policy/front-config';
import { frontService, type FrontConfig, type FrontService } from '../../policy/front';
import { describeZodError } from '../../policy/request';
import { HaproxyAdmin } from '../../runtime/haproxy-admin';
import type { HostRuntime } from '../../runtime/host-runtime';
import { invalidInput, preconditionFailed } from '../errors';

export interface FrontContext {
  rt: HostRuntime;
  front: FrontConfig;
  admin: HaproxyAdmin;
}

export function createFrontContext(rt: HostRuntime, front: FrontConfig): FrontContext {
  return { rt, front, admin: new HaproxyAdmin(rt, { front: front.name, socket: front.adminSocket, socat: front.socat }) };
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

/**
 * Rewrites haproxy.cfg with each service's server as HAProxy has it in service now: servers
 * changed on the admin socket live only in HAProxy's memory, and a restarted HAProxy would
 * otherwise send requests back to a host the container left. Written beside, then renamed
 * over, so a restart never reads half a file.
 */
export async function recordServers({ rt, front, admin }: FrontContext, signal?: AbortSignal): Promise<void> {
  const current: FrontService[] = [];
  for (const service of front.services) {
    const server = servingServer(parseServersState(await admin.send(showServersState(service.name), { signal })));
    if (server) current.push({ backend: service.name, server: { host: server.host, address: server.address, port: server.port } });
  }
  const next = `${front.configFile}.godwit-new`;
  await rt.writeFile(next, frontConfigText(front, current));
  await rt.rename(next, front.configFile);
}
