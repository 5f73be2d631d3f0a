/**
 * A whole read-only query in one round trip, as a `pg` submittable (the way
 * pg-cursor plugs into the driver): one write carries
 *
 *   BEGIN TRANSACTION READ ONLY; SET LOCAL …timeouts     (Parse/Bind/Execute each)
 *   the checked query, its parameters bound              (Parse/Bind/Describe/Execute with a row limit)
 *   ROLLBACK; SELECT pg_advisory_unlock_all()            (Parse/Bind/Execute each)
 *   Sync
 *
 * The Execute's row limit makes the unnamed portal a cursor: PostgreSQL
 * produces at most `maxRows + 1` rows and suspends the rest (never computing
 * a million rows to return a hundred). Inside one Sync group an error makes
 * the server skip everything up to the Sync, so the query can never run
 * outside the read-only transaction; the caller then destroys the connection.
 * This replaces the four round trips of BEGIN, cursor read, cursor close and
 * ROLLBACK — the read path's dominant cost (see docs/benchmarks.md).
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { ReadResult } from './pg-database.js';
import { JSON_SAFE_TYPES, typeName } from './values.js';

const require = createRequire(import.meta.url);
// The driver's own row parser and value serialiser, as pg-cursor uses them.
const PgResult = require('pg/lib/result.js') as new (rowMode: 'array', types: unknown) => {
  fields: { name: string; dataTypeID: number }[];
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): unknown[];
};
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue(value: unknown): unknown };

/** The parts of pg's Connection a submittable drives. */
interface Connection {
  stream: { cork(): void; uncork(): void };
  parse(query: { text: string }): void;
  bind(config: { values?: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(config: { rows: number }): void;
  sync(): void;
}

/** Approximate JSON size of a row (what the agent receives). */
export function rowBytes(row: unknown[]): number {
  let bytes = 2;
  for (const value of row) bytes += (typeof value === 'string' ? value.length + 2 : value === null ? 4 : (JSON.stringify(value)?.length ?? 4)) + 1;
  return bytes;
}

export interface PortalReadOptions {
  maxRows: number;
  maxBytes: number;
  /** Statements run before the query in the same group (fixed text of our own: BEGIN, SET LOCAL). */
  before: readonly string[];
}

export class PortalRead {
  readonly done: Promise<ReadResult>;
  private settle!: { resolve(result: ReadResult): void; reject(error: unknown): void };
  private readonly result = new PgResult('array', JSON_SAFE_TYPES);
  private readonly rows: unknown[][] = [];
  private bytes = 0;
  private truncatedBy: ReadResult['truncatedBy'];
  /** Rows belong to the query (the only statement of the group that returns any). */
  private inQuery = false;
  private failed = false;

  constructor(
    private readonly sql: string,
    private readonly params: readonly unknown[],
    private readonly options: PortalReadOptions,
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
  }

  /** Called by pg when the connection is ours. */
  submit(connection: Connection): null {
    connection.stream.cork();
    try {
      for (const text of this.options.before) {
        connection.parse({ text });
        connection.bind({});
        connection.execute({ rows: 0 });
      }
      connection.parse({ text: this.sql });
      connection.bind({ values: this.params.map(prepareValue) });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ rows: this.options.maxRows + 1 });
      // Session advisory locks survive ROLLBACK (a user-defined function may take one): release them.
      for (const text of ['ROLLBACK', 'SELECT pg_advisory_unlock_all()']) {
        connection.parse({ text });
        connection.bind({});
        connection.execute({ rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.result.addFields(message.fields);
    this.inQuery = true;
  }

  handleDataRow(message: { fields: unknown[] }): void {
    if (!this.inQuery || this.truncatedBy) return;
    if (this.rows.length === this.options.maxRows) {
      this.truncatedBy = 'maxRows';
      return;
    }
    const row = this.result.parseRow(message.fields);
    const size = rowBytes(row);
    if (this.bytes + size > this.options.maxBytes) {
      this.truncatedBy = 'maxBytes';
      return;
    }
    this.bytes += size;
    this.rows.push(row);
  }

  handlePortalSuspended(): void {
    this.inQuery = false;
  }

  handleCommandComplete(): void {
    this.inQuery = false;
  }

  handleEmptyQuery(): void {}

  /** pg forgets the active query on an error message: settle now (the caller destroys the connection). */
  handleError(error: unknown): void {
    this.failed = true;
    this.settle.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.failed) return;
    const columns = this.result.fields.map((field) => ({ name: field.name, type: typeName(field.dataTypeID) }));
    const truncatedBy = this.truncatedBy;
    this.settle.resolve({ columns, rows: this.rows, rowCount: this.rows.length, truncated: truncatedBy !== undefined, ...(truncatedBy ? { truncatedBy } : {}) });
  }
}

export function asSubmittable(read: PortalRead): pg.Submittable {
  return read as unknown as pg.Submittable;
}
