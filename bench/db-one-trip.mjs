// PROTOTYPE, not mcpd code: the database pack's read path in one round trip, measured by bench/database.mjs
// (variants `oneTrip` and `toolOneTrip` in-process, `httpOneTrip` through bench/db-proto-server.mjs) as a sketch of a
// change to src/packs/database/pg-database.ts.
//
// The pack's executor spends four round trips on a read: `BEGIN READ ONLY; SET LOCAL …` (one simple query),
// the cursor's Parse/Bind/Describe/Execute, its Close/Sync, and ROLLBACK. Here one write carries all of it:
//
//   Parse/Bind/Execute  BEGIN TRANSACTION READ ONLY
//   Parse/Bind/Execute  SET LOCAL statement_timeout / lock_timeout / idle_in_transaction_session_timeout
//   Parse/Bind/Describe/Execute(maxRows + 1)  the checked query, its parameters bound
//   Parse/Bind/Execute  ROLLBACK
//   Sync
//
// Inside one Sync group an error makes the server skip every message up to the Sync, so the query never runs
// outside the read-only transaction and the connection is left in a failed transaction (destroyed, as the
// executor destroys any connection that saw an error). checkOneTrip() below, run by the benchmark before it
// measures, shows on the real server that the SET LOCAL statement timeout applies to the query in the same
// group (pg_sleep under 200 ms fails with 57014 after ~200 ms), that a write fails with 25006, and that a
// session setting changed by set_config(…, false) is undone by the ROLLBACK. The
// row limit of the Execute bounds what is read to maxRows + 1 rows (the executor reads in batches of 500, so
// for maxRows above 499 it would keep the cursor); rows are parsed as the executor parses them (array rows,
// JSON-safe types) and cut at the same row and byte caps.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const PgResult = require('pg/lib/result.js');
const { prepareValue } = require('pg/lib/utils.js');
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { JSON_SAFE_TYPES, typeName } = await import(pathToFileURL(`${ROOT}dist/packs/database/values.js`).href);

/** The executor's approximate JSON size of a row (src/packs/database/pg-database.ts rowBytes). */
function rowBytes(row) {
  let bytes = 2;
  for (const value of row) bytes += (typeof value === 'string' ? value.length + 2 : value === null ? 4 : JSON.stringify(value)?.length ?? 4) + 1;
  return bytes;
}

/** A pg submittable (like pg-cursor): the whole read in one write, settled at ReadyForQuery. */
class OneTripRead {
  constructor(text, values, maxRows, timeoutMs, lockMs) {
    this.text = text;
    this.values = values.map(prepareValue);
    this.maxRows = maxRows;
    this.pre = ['BEGIN TRANSACTION READ ONLY', `SET LOCAL statement_timeout = ${timeoutMs}`, `SET LOCAL lock_timeout = ${lockMs}`,
      `SET LOCAL idle_in_transaction_session_timeout = ${timeoutMs + 5000}`];
    this.result = new PgResult('array', JSON_SAFE_TYPES);
    this.rows = [];
    this.inQuery = false;
    this.promise = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
  }

  submit(con) {
    con.stream.cork();
    try {
      for (const text of this.pre) { con.parse({ text }); con.bind({}); con.execute({ rows: 0 }); }
      con.parse({ text: this.text });
      con.bind({ values: this.values });
      con.describe({ type: 'P', name: '' });
      con.execute({ rows: this.maxRows + 1 });
      con.parse({ text: 'ROLLBACK' });
      con.bind({});
      con.execute({ rows: 0 });
      con.sync();
    } finally {
      con.stream.uncork();
    }
    return null;
  }

  handleRowDescription(msg) { this.result.addFields(msg.fields); this.inQuery = true; }
  handleDataRow(msg) { if (this.inQuery) this.rows.push(this.result.parseRow(msg.fields)); }
  handlePortalSuspended() { this.inQuery = false; }
  handleCommandComplete() { this.inQuery = false; }
  handleEmptyQuery() {}
  // pg's client forgets the active query on an error message: settle now (the caller destroys the connection).
  handleError(err) { this.reject(err); }
  handleReadyForQuery() { this.resolve(); }
}

/** One checked read on a pooled connection: `{ columns, rows, rowCount, truncated, truncatedBy? }` like PgDatabase.read. */
export async function oneTripRead(pool, sql, params, { maxRows, maxBytes = 1024 * 1024, timeoutMs = 5000, lockTimeoutMs = 1000 }) {
  const client = await pool.connect();
  let healthy = false;
  try {
    const q = new OneTripRead(sql, params, maxRows, timeoutMs, Math.min(timeoutMs, lockTimeoutMs));
    client.query(q);
    await q.promise;
    const rows = [];
    let bytes = 0;
    let truncatedBy;
    for (const row of q.rows) {
      if (rows.length === maxRows) { truncatedBy = 'maxRows'; break; }
      const size = rowBytes(row);
      if (bytes + size > maxBytes) { truncatedBy = 'maxBytes'; break; }
      bytes += size;
      rows.push(row);
    }
    healthy = true;
    const columns = q.result.fields.map((f) => ({ name: f.name, type: typeName(f.dataTypeID) }));
    return { columns, rows, rowCount: rows.length, truncated: truncatedBy !== undefined, ...(truncatedBy ? { truncatedBy } : {}) };
  } finally {
    client.release(healthy ? undefined : true);
  }
}

/**
 * A stand-in for the pack's PgDatabase whose read() is oneTripRead: what queryTool() (dist/packs/database/tools.js)
 * uses of a database — name, settings, read — so the pack's own tool can run on the prototype.
 */
export function oneTripDatabase(pool, settings, close = async () => {}) {
  return {
    name: 'main',
    settings,
    read: (sql, params, options) => oneTripRead(pool, sql, params, { maxRows: options.maxRows, maxBytes: options.maxBytes, timeoutMs: options.timeoutMs, lockTimeoutMs: settings.lockTimeoutMs }),
    close: async () => { await pool.end(); await close(); },
  };
}

/** The prototype's safety properties on the real server (throws if one does not hold); used by bench/database.mjs. */
export async function checkOneTrip(pool) {
  const expectError = async (sql, code, what) => {
    const t0 = performance.now();
    try {
      await oneTripRead(pool, sql, [], { maxRows: 10, timeoutMs: 200 });
    } catch (err) {
      if (err.code !== code) throw new Error(`one-trip check, ${what}: expected SQLSTATE ${code}, got ${err.code} ${err.message}`);
      return performance.now() - t0;
    }
    throw new Error(`one-trip check, ${what}: no error`);
  };
  const ms = await expectError('SELECT pg_sleep(2)', '57014', 'statement timeout');
  if (ms > 1500) throw new Error(`one-trip check: the statement timeout took ${ms} ms`);
  await expectError('CREATE TABLE mcpd_one_trip_check (a int)', '25006', 'read-only transaction');
  // One connection, so the setting would still be there on the next read if it had survived.
  const single = new (pool.constructor)({ ...pool.options, max: 1 });
  try {
    await oneTripRead(single, "SELECT set_config('search_path', 'mcpd_poisoned', false)", [], { maxRows: 1 });
    const after = await oneTripRead(single, 'SELECT current_setting($1)', ['search_path'], { maxRows: 1 });
    if (after.rows[0][0] === 'mcpd_poisoned') throw new Error('one-trip check: set_config(…, false) survived the ROLLBACK');
  } finally {
    await single.end();
  }
  return { timeoutMs: Math.round(ms) };
}
