// A PostgreSQL connection over TCP with trust authentication (the bundles' pg_hba.conf): the
// startup exchange, then simple queries one at a time.
import { connectTcp } from './tcp';
import { FramedConnection } from './framed-connection';
import { ConnectFailure } from './reconnecting-loop';
import { PgMessageReader, QueryCollector, queryMessage, startupMessage, terminateMessage, type BackendMessage, type QueryResult } from './pg-protocol';

export class PgServerError extends Error {
  constructor(readonly fields: Readonly<Record<string, string>>) {
    super(`${fields.S ?? 'ERROR'} ${fields.C ?? '?'}: ${fields.M ?? 'no message'}`);
    this.name = 'PgServerError';
  }
}

type Startup = { ok: true } | { ok: false; why: string };

function startupStep(message: BackendMessage): Startup | undefined {
  switch (message.type) {
    case 'Authentication':
      // 0 is AuthenticationOk; anything else asks for a password these clients do not have.
      return message.code === 0 ? undefined : { ok: false, why: `server asks for authentication method ${message.code} (only trust is supported)` };
    case 'ErrorResponse':
      return { ok: false, why: new PgServerError(message.fields).message };
    case 'ReadyForQuery':
      return { ok: true };
    default:
      return undefined;
  }
}

export class PgConnection {
  private constructor(
    private readonly framed: FramedConnection<BackendMessage>,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Connects and logs in. A server that refuses the session (e.g. "the database system is
   * starting up" right after a restore) counts as not there yet: a ConnectFailure.
   */
  static async open(address: string, port: number, login: { user: string; database: string }, timeoutMs: number): Promise<PgConnection> {
    const socket = await connectTcp(address, port, timeoutMs);
    const framed = new FramedConnection(socket, new PgMessageReader());
    let outcome: Startup;
    try {
      outcome = await framed.exchange(startupMessage({ user: login.user, database: login.database, application_name: 'godwit-client' }), startupStep, timeoutMs);
    } catch (err) {
      throw new ConnectFailure(`login at ${address}:${port}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!outcome.ok) {
      framed.close();
      throw new ConnectFailure(`login at ${address}:${port}: ${outcome.why}`);
    }
    return new PgConnection(framed, timeoutMs);
  }

  /** Runs `sql` (autocommit unless it says BEGIN); a server error becomes a PgServerError. */
  async query(sql: string, timeoutMs = this.timeoutMs): Promise<QueryResult> {
    const collector = new QueryCollector();
    const result = await this.framed.exchange(queryMessage(sql), (m) => collector.take(m), timeoutMs);
    if (result.error) throw new PgServerError(result.error);
    return result;
  }

  close(): void {
    // Terminate is a courtesy: the server logs a clean disconnect instead of an EOF.
    this.framed.close(terminateMessage());
  }
}
