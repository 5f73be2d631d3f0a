/**
 * One PostgreSQL database behind a pool, executed safely:
 *
 * - every statement travels with the extended query protocol (a portal, or
 *   `queryMode: 'extended'`), so a second statement can never ride along;
 * - reads run inside `BEGIN READ ONLY` with `SET LOCAL` statement, lock and
 *   idle timeouts — enforced by the server, which cancels the statement — and
 *   always end in ROLLBACK;
 * - a read is one round trip whose portal has a row limit (portal-read.ts),
 *   so a million-row result is never computed to return a hundred; rows past
 *   the row and byte caps are not kept;
 * - a connection whose state is in doubt (any error, a cancellation) is
 *   destroyed instead of going back to the pool.
 */
import pg from 'pg';
import { McpdError } from '../../chassis/errors.js';
import { databaseError } from './errors.js';
import type { DatabaseEntrySettings } from './settings.js';
import { asSubmittable, PortalRead } from './portal-read.js';
import { JSON_SAFE_TYPES, typeName } from './values.js';

export interface Column {
  name: string;
  type: string;
}

export interface ReadResult {
  columns: Column[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  /** Why the rows were cut: `maxRows` or `maxBytes`. */
  truncatedBy?: 'maxRows' | 'maxBytes';
}

export interface ReadOptions {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WriteResult {
  command: string;
  rowCount: number;
  columns: Column[];
  rows: unknown[][];
}

/**
 * How a running statement is stopped. PostgreSQL enforces `statement_timeout`
 * and cancels on request from another connection; an embedded database that
 * cannot interrupt itself supplies both from outside.
 */
export interface StatementControl {
  cancel(client: pg.PoolClient): void;
  /** Arms a deadline the database cannot enforce itself; returns its disarm. */
  deadline?(timeoutMs: number): () => void;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

function columnsOf(fields: readonly { name: string; dataTypeID: number }[] | undefined): Column[] {
  return (fields ?? []).map((field) => ({ name: field.name, type: typeName(field.dataTypeID) }));
}

export class PgDatabase {
  readonly pool: pg.Pool;
  private readonly control: StatementControl;

  constructor(
    readonly name: string,
    connection: pg.PoolConfig,
    readonly settings: DatabaseEntrySettings,
    control?: StatementControl,
  ) {
    this.pool = new pg.Pool({
      max: settings.pool.max,
      idleTimeoutMillis: settings.pool.idleTimeoutMs,
      connectionTimeoutMillis: settings.pool.connectionTimeoutMs,
      application_name: 'mcpd',
      ...connection,
      types: JSON_SAFE_TYPES,
    });
    this.control = control ?? { cancel: (client) => this.cancelOnServer(client) };
    // An idle connection dropped by the server (restart, admin kill) must not crash the process.
    this.pool.on('error', () => {});
    // Nor one dropped while checked out (the pool listens only to idle ones): a socket error, e.g. ECONNRESET on an
    // immediate shutdown, is emitted on the client as well as failing its query; the query's failure is what we handle.
    this.pool.on('connect', (client) => void client.on('error', () => {}));
  }

  get stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  private timeouts(timeoutMs: number): string[] {
    const statement = Math.max(1, Math.floor(timeoutMs));
    const lock = Math.min(statement, this.settings.lockTimeoutMs);
    // Integers only, built here: this text never contains caller input.
    return [
      `SET LOCAL statement_timeout = ${statement}`,
      `SET LOCAL lock_timeout = ${lock}`,
      `SET LOCAL idle_in_transaction_session_timeout = ${statement + 5000}`,
    ];
  }

  /**
   * A pooled connection, unless the call is cancelled while it waits for one: a cancelled call must
   * not run once a connection frees up (a cancelled write would still commit). A connection that
   * arrives after the cancellation goes straight back to the pool.
   */
  private async connect(signal?: AbortSignal): Promise<pg.PoolClient> {
    const cancelled = () => new McpdError('CANCELLED', 'The request was cancelled');
    if (signal?.aborted) throw cancelled();
    const pending = this.pool.connect();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } catch (error) {
      if (signal?.aborted) {
        pending.then((client) => client.release(), () => {});
        throw cancelled();
      }
      throw databaseError(error, this.name, 0);
    } finally {
      signal?.removeEventListener('abort', onAbort!);
      aborted.catch(() => {});
    }
  }

  /**
   * Cancels the statement running on `client` from another connection (the
   * server stops working on it, rather than the client merely giving up).
   */
  private cancelOnServer(client: pg.PoolClient): void {
    const pid = (client as unknown as { processID?: number }).processID;
    if (typeof pid !== 'number') return;
    const canceller = new pg.Client({ ...(this.pool.options as pg.ClientConfig), types: undefined });
    canceller.on('error', () => {});
    void canceller
      .connect()
      .then(() => canceller.query('SELECT pg_cancel_backend($1)', [pid]))
      .catch(() => {})
      .finally(() => void canceller.end().catch(() => {}));
  }

  /**
   * Runs `work` on a pooled connection inside a transaction opened with
   * `begin` and the timeouts, then ends it with `end`. The connection goes
   * back to the pool only if every step succeeded; otherwise it is destroyed.
   */
  private async transaction<T>(begin: string, end: 'ROLLBACK' | 'COMMIT', timeoutMs: number, signal: AbortSignal | undefined, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect(signal);
    const disarm = this.control.deadline?.(timeoutMs);
    let healthy = false;
    try {
      await client.query([begin, ...this.timeouts(timeoutMs)].join('; '));
      const value = await work(client);
      // Session advisory locks outlive the transaction (a user-defined function may take one): released
      // in the same round trip that ends it.
      await client.query(`${end}; SELECT pg_advisory_unlock_all()`);
      healthy = true;
      return value;
    } catch (error) {
      throw databaseError(error, this.name, timeoutMs);
    } finally {
      disarm?.();
      client.release(healthy ? undefined : true);
    }
  }

  /**
   * A checked read-only query (see sql-guard.ts) in one round trip
   * (portal-read.ts): read-only transaction, server-side timeouts, the
   * portal's row limit as the cursor, row and byte caps, ROLLBACK.
   */
  async read(sql: string, params: readonly unknown[], options: ReadOptions): Promise<ReadResult> {
    const { signal, timeoutMs } = options;
    const client = await this.connect(signal);
    const disarm = this.control.deadline?.(timeoutMs);
    // Once a cancel is on its way, the connection never returns to the pool: the cancel may land late,
    // on whatever statement the connection runs next.
    let cancelSent = false;
    const onAbort = () => {
      cancelSent = true;
      this.control.cancel(client);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let healthy = false;
    try {
      const read = new PortalRead(sql, params, { maxRows: options.maxRows, maxBytes: options.maxBytes, before: ['BEGIN TRANSACTION READ ONLY', ...this.timeouts(timeoutMs)] });
      void client.query(asSubmittable(read));
      const result = await read.done;
      healthy = true;
      return result;
    } catch (error) {
      if (signal?.aborted) throw new McpdError('CANCELLED', 'The request was cancelled; the statement was cancelled on the server');
      throw databaseError(error, this.name, timeoutMs);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      disarm?.();
      client.release(healthy && !cancelSent ? undefined : true);
    }
  }

  /** EXPLAIN of a checked query, as PostgreSQL's JSON plan; ANALYZE runs it inside the read-only transaction. */
  explain(sql: string, params: readonly unknown[], analyze: boolean, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return this.transaction('BEGIN TRANSACTION READ ONLY', 'ROLLBACK', timeoutMs, signal, async (client) => {
      const result = await client.query({
        text: `EXPLAIN (FORMAT JSON${analyze ? ', ANALYZE, BUFFERS' : ''}) ${sql}`,
        values: params as unknown[],
        queryMode: 'extended',
        types: { getTypeParser: () => (value: string) => value },
      } as pg.QueryConfig);
      const text = (result.rows[0] as Record<string, string> | undefined)?.['QUERY PLAN'];
      return text === undefined ? null : JSON.parse(text);
    });
  }

  /** A checked write (write mode): one statement in its own transaction, committed only if it succeeds. */
  write(sql: string, params: readonly unknown[], timeoutMs: number, maxRows: number, signal?: AbortSignal): Promise<WriteResult> {
    // A failed write's transaction dies with its connection.
    return this.transaction('BEGIN', 'COMMIT', timeoutMs, signal, async (client) => {
      const result = await client.query({ text: sql, values: params as unknown[], queryMode: 'extended', rowMode: 'array', types: JSON_SAFE_TYPES } as pg.QueryArrayConfig);
      return { command: result.command, rowCount: result.rowCount ?? 0, columns: columnsOf(result.fields), rows: (result.rows as unknown[][]).slice(0, maxRows) };
    });
  }

  /**
   * Catalog queries (schema discovery): fixed SQL of our own with parameters,
   * several in one read-only transaction.
   */
  catalog<T>(timeoutMs: number, work: (query: (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN TRANSACTION READ ONLY', 'ROLLBACK', timeoutMs, undefined, (client) =>
      work(async (sql, params) => {
        const result = await client.query({ text: sql, values: params as unknown[], queryMode: 'extended', types: JSON_SAFE_TYPES } as pg.QueryConfig);
        return result.rows as Record<string, unknown>[];
      }),
    );
  }

  async ping(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT 1');
      client.release();
    } catch (error) {
      client.release(true);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
