// What a migration says to a front's admin socket, and how its answers are read. Every step
// reads the backend's state first and sends only what is still to do (the plans below), so a
// retried step continues where the last attempt stopped.
import { HOLD_COMMAND } from './front-config';
import type { FrontServer } from './front';

/** One admin-socket command, as words. */
export type AdminCommand = readonly string[];

/**
 * The CLI splits a line into commands at ";" and at a newline, reads quotes and backslashes:
 * a word is none of those, nor a space, so no word can add a second command.
 */
const SAFE_WORD = /^[A-Za-z0-9_.:/-]+$/;

/** The line sent for `command`; throws on a word that could be read as more than one word. */
export function adminLine(command: AdminCommand): string {
  if (command.length === 0) throw new Error('an empty admin command');
  for (const word of command) {
    if (!SAFE_WORD.test(word)) throw new Error(`refused admin-socket word ${JSON.stringify(word)}: only letters, digits, "_", ".", ":", "/" and "-"`);
  }
  return command.join(' ');
}

const serverRef = (backend: string, host: string) => `${backend}/${host}`;

export const showInfo = (): AdminCommand => ['show', 'info'];
export const showServersState = (backend: string): AdminCommand => ['show', 'servers', 'state', backend];
/** Every server's counters; the answer is filtered by backend (a proxy name can also be a frontend's). */
export const showServerStats = (): AdminCommand => ['show', 'stat', '-1', '4', '-1'];
export const showHold = (backend: string): AdminCommand => [HOLD_COMMAND, 'show', 'hold', backend];
export const setHold = (backend: string, held: boolean): AdminCommand => [HOLD_COMMAND, 'hold', backend, held ? 'on' : 'off'];
/** A dynamic server is created in maint; `setServerState(..., 'ready')` puts it in service. */
export const addServer = (backend: string, server: FrontServer): AdminCommand => ['add', 'server', serverRef(backend, server.host), `${server.address}:${server.port}`];
export const setServerAddress = (backend: string, server: FrontServer): AdminCommand => ['set', 'server', serverRef(backend, server.host), 'addr', server.address, 'port', String(server.port)];
export const setServerState = (backend: string, host: string, state: AdminState): AdminCommand => ['set', 'server', serverRef(backend, host), 'state', state];
export const shutdownSessions = (backend: string, host: string): AdminCommand => ['shutdown', 'sessions', 'server', serverRef(backend, host)];
export const deleteServer = (backend: string, host: string): AdminCommand => ['del', 'server', serverRef(backend, host)];

/**
 * Why an answer is a refusal, or null. The client asks for numbered severities, so HAProxy's
 * errors start "[0]:" to "[3]:" (warnings "[4]:" are not refusals); an unknown command is only
 * "[6]:", with help after it.
 */
export function answerProblem(answer: string): string | null {
  const lines = answer.split('\n');
  for (const [i, line] of lines.entries()) {
    const match = /^\[([0-7])\]: ?(.*)$/.exec(line);
    const text = match ? match[2] : line;
    if (match && Number(match[1]) <= 3) return [text, ...lines.slice(i + 1).filter((l) => l.trim() !== '')].join('\n').trim();
    if (/^Unknown command\b/.test(text)) return text.trim();
  }
  return null;
}

/** A server's administrative state, as `set server ... state` sets it. */
export type AdminState = 'ready' | 'drain' | 'maint';

export interface ServerState {
  /** The host the server stands for. */
  host: string;
  address: string;
  port: number;
  admin: AdminState;
  /** Sessions on it now (in-flight requests in http mode, open connections in tcp mode). */
  sessions: number;
  /** Requests in its own queue (none unless it has a maxconn). */
  queued: number;
}

export interface HoldState {
  held: boolean;
  /** Requests that waited since the hold began. */
  entered: number;
}

export interface BackendState {
  backend: string;
  servers: ServerState[];
  hold: HoldState;
}

// srv_admin_state bits (HAProxy's SRV_ADMF_*): forced, inherited, config, resolution, hostname maint; forced, inherited drain.
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const DRAIN_BITS = 0x08 | 0x10;

function adminStateOf(bits: number): AdminState {
  if (bits & MAINT_BITS) return 'maint';
  if (bits & DRAIN_BITS) return 'drain';
  return 'ready';
}

/** Rows of a table whose header line starts with "# " (space- or comma-separated), as records by column name. */
function table(answer: string, separator: string | RegExp): Record<string, string>[] {
  const lines = answer.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => l.startsWith('# '));
  if (header < 0) return [];
  const names = lines[header].slice(2).split(separator);
  return lines.slice(header + 1).map((line) => {
    const cells = line.split(separator);
    return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
  });
}

const count = (cell: string | undefined) => (cell ? Number(cell) : 0);

/** `show servers state <backend>`: each server's address and administrative state. */
export function parseServersState(answer: string): Omit<ServerState, 'sessions' | 'queued'>[] {
  return table(answer, ' ').map((row) => ({
    host: row.srv_name,
    address: row.srv_addr,
    port: Number(row.srv_port),
    admin: adminStateOf(Number(row.srv_admin_state)),
  }));
}

/** `show stat` (CSV): sessions and queue of each server of `backend`. */
export function parseServerStats(answer: string, backend: string): Map<string, { sessions: number; queued: number }> {
  const rows = table(answer, ',').filter((r) => r.pxname === backend && r.svname !== 'FRONTEND' && r.svname !== 'BACKEND');
  return new Map(rows.map((r) => [r.svname, { sessions: count(r.scur), queued: count(r.qcur) }]));
}

/** `godwit show hold <backend>`: "<backend> held|open <entered>". */
export function parseHold(answer: string, backend: string): HoldState {
  const match = new RegExp(`^${backend.replace(/[.]/g, '\\.')} (held|open) (\\d+)$`, 'm').exec(answer);
  if (!match) throw new Error(`unexpected answer to ${HOLD_COMMAND} show hold ${backend}: ${answer.trim()}`);
  return { held: match[1] === 'held', entered: Number(match[2]) };
}

/** `show info`: HAProxy's version. */
export function parseVersion(answer: string): string {
  return /^Version: (.+)$/m.exec(answer)?.[1]?.trim() ?? 'unknown';
}

export function backendState(backend: string, servers: string, stats: string, hold: string): BackendState {
  const counters = parseServerStats(stats, backend);
  return {
    backend,
    servers: parseServersState(servers).map((s) => ({ ...s, ...(counters.get(s.host) ?? { sessions: 0, queued: 0 }) })),
    hold: parseHold(hold, backend),
  };
}

export const serverOf = (state: BackendState, host: string) => state.servers.find((s) => s.host === host) ?? null;

/** The server a backend sends requests to: the one not in maint (a move leaves one). */
export const servingServer = <S extends Pick<ServerState, 'admin'>>(servers: readonly S[]): S | null => servers.find((s) => s.admin !== 'maint') ?? null;

/** Requests (or connections) the source still has: in flight, or in its own queue. */
export function inFlight(state: BackendState, host: string): number {
  const server = serverOf(state, host);
  return server ? server.sessions + server.queued : 0;
}

/** What a move between two servers of one backend is. */
export interface ServerMove {
  backend: string;
  source: FrontServer;
  target: FrontServer;
}

const atAddress = (server: ServerState, wanted: FrontServer) => server.address === wanted.address && server.port === wanted.port;

/** `wanted` as a server of the backend, in service: added, readdressed and made ready as needed. */
function inService(state: BackendState, backend: string, wanted: FrontServer): AdminCommand[] {
  const server = serverOf(state, wanted.host);
  const commands: AdminCommand[] = [];
  if (!server) commands.push(addServer(backend, wanted));
  else if (!atAddress(server, wanted)) commands.push(setServerAddress(backend, wanted));
  if (server?.admin !== 'ready') commands.push(setServerState(backend, wanted.host, 'ready'));
  return commands;
}

/** Drain: hold the backend's new requests (the wait for in-flight ones is the step's). */
export function drainPlan(state: BackendState, move: ServerMove): AdminCommand[] {
  return state.hold.held ? [] : [setHold(move.backend, true)];
}

/**
 * Switch: the target in service and the source in maint before the hold is lifted, so no held
 * request goes to the source. The source's server stays (in maint) until retired: a rollback
 * after the switch puts it back.
 */
export function switchPlan(state: BackendState, move: ServerMove): AdminCommand[] {
  const commands = inService(state, move.backend, move.target);
  const source = serverOf(state, move.source.host);
  if (source && source.admin !== 'maint') commands.push(setServerState(move.backend, move.source.host, 'maint'));
  if (state.hold.held) commands.push(setHold(move.backend, false));
  return commands;
}

/**
 * Rollback: the source in service and the target in maint before the hold is lifted; then the
 * target's sessions (with a copy being stopped) are cut and its server deleted.
 */
export function restorePlan(state: BackendState, move: ServerMove): AdminCommand[] {
  const commands = inService(state, move.backend, move.source);
  const target = serverOf(state, move.target.host);
  if (target && target.admin !== 'maint') commands.push(setServerState(move.backend, move.target.host, 'maint'));
  if (state.hold.held) commands.push(setHold(move.backend, false));
  if (target) {
    if (target.sessions > 0) commands.push(shutdownSessions(move.backend, move.target.host));
    commands.push(deleteServer(move.backend, move.target.host));
  }
  return commands;
}

/** After commit: the source's server deleted, once it is in maint (a switch put it there). */
export function retirePlan(state: BackendState, move: ServerMove): AdminCommand[] {
  const source = serverOf(state, move.source.host);
  if (!source) return [];
  if (source.admin !== 'maint') throw new Error(`backend ${move.backend} still sends requests to ${move.source.host} (${source.admin}): switch to the target first`);
  return [...(source.sessions > 0 ? [shutdownSessions(move.backend, move.source.host)] : []), deleteServer(move.backend, move.source.host)];
}
