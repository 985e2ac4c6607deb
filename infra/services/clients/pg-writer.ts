// A PostgreSQL writer: INSERT of ids 1, 2, 3... into one table, one autocommitted
// transaction each (fsync on: "INSERT 0 1" means it is on disk). Every id the server
// confirmed must be there after any migration; verify() reads the table back and has
// amcheck check the primary key's B-tree against the heap.
import { AcknowledgedWriter } from './acknowledged-writer';
import { PgConnection, PgServerError } from './pg-connection';
import { ReconnectingLoop, type LoopOptions } from './reconnecting-loop';
import type { VerifyReport } from './report';

export interface PgWriterOptions extends LoopOptions {
  /** Per connect and per query: a frozen server accepts connections but never answers. */
  timeoutMs?: number;
  table?: string;
  user?: string;
  database?: string;
}

export interface PgVerifyReport extends VerifyReport<number> {
  /** Rows whose INSERT was never confirmed (the answer was lost): allowed, counted for the record. */
  unacknowledgedPresent: number;
  /** null when amcheck (bt_index_check with heapallindexed, verify_heapam) found nothing; else what it said. */
  amcheck: string | null;
}

export class PgWriter extends AcknowledgedWriter<PgConnection> {
  protected readonly loop: ReconnectingLoop<PgConnection>;
  private readonly table: string;
  private readonly login: { user: string; database: string };
  private readonly timeoutMs: number;
  private readonly port: number;

  constructor(options: PgWriterOptions) {
    super();
    this.table = options.table ?? 'godwit_writes';
    // It goes into SQL text: a plain identifier only.
    if (!/^[a-z_][a-z0-9_]{0,40}$/.test(this.table)) throw new Error(`not a plain table name: ${this.table}`);
    this.login = { user: options.user ?? 'postgres', database: options.database ?? 'postgres' };
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.port = options.port;
    this.loop = new ReconnectingLoop<PgConnection>(
      options,
      {
        open: async (address, port) => {
          const connection = await PgConnection.open(address, port, this.login, this.timeoutMs);
          this.log.connected();
          try {
            await connection.query(`CREATE TABLE IF NOT EXISTS ${this.table} (id bigint PRIMARY KEY, payload text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`);
          } catch (err) {
            connection.close();
            throw err;
          }
          return connection;
        },
        close: (connection) => connection.close(),
        step: async (connection) => {
          // A fresh id for every try: an INSERT whose answer was lost may have committed.
          const id = this.next++;
          const result = await connection.query(`INSERT INTO ${this.table} (id, payload) VALUES (${id}, '${this.payload(id)}')`);
          if (result.tags[0] !== 'INSERT 0 1') throw new Error(`INSERT answered ${JSON.stringify(result.tags)}`);
          this.acked.push(id);
        },
      },
      this.log,
    );
  }

  /** What row `id` holds: derived from it, so a row with another's payload shows too. */
  payload(id: number): string {
    return `payload-${id}`;
  }


  /** Reads the whole table at `address` and runs amcheck on it. */
  async verify(address: string): Promise<PgVerifyReport> {
    const connection = await PgConnection.open(address, this.port, this.login, 30_000);
    try {
      const rows = await connection.query(`SELECT id, payload FROM ${this.table} ORDER BY id`, 60_000);
      const present = new Map(rows.rows.map(([id, payload]) => [Number(id), payload]));
      const missing = this.acked.filter((id) => present.get(id) !== this.payload(id));
      const acked = new Set(this.acked);
      const unacknowledgedPresent = [...present.keys()].filter((id) => !acked.has(id)).length;
      return { checked: this.acked.length, missing, unacknowledgedPresent, amcheck: await this.amcheck(connection) };
    } finally {
      connection.close();
    }
  }

  private async amcheck(connection: PgConnection): Promise<string | null> {
    try {
      await connection.query('CREATE EXTENSION IF NOT EXISTS amcheck', 60_000);
      // heapallindexed: every heap tuple must also be found in the index, not only a sane tree.
      await connection.query(`SELECT bt_index_check(index => '${this.table}_pkey'::regclass, heapallindexed => true)`, 60_000);
      const heap = await connection.query(`SELECT count(*) FROM verify_heapam('${this.table}')`, 60_000);
      const problems = Number(heap.rows[0]?.[0] ?? 'NaN');
      return problems === 0 ? null : `verify_heapam reported ${heap.rows[0]?.[0]} problems`;
    } catch (err) {
      if (err instanceof PgServerError) return err.message;
      throw err;
    }
  }
}
