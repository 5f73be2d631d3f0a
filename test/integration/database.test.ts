/**
 * The database pack against the real PostgreSQL (a throwaway database per
 * run), through real HTTP: types round-trip, limits and truncation, the
 * server-side timeout, pool exhaustion, connections killed under it, schema
 * discovery, explain, write mode — and the attack suite, each attack proven
 * harmless by checking afterwards that the data is unchanged and every pooled
 * connection is clean.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SQL_ATTACKS } from '../fixtures/sql-attacks.js';
import { startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';
import { statelessPost } from '../helpers/server.js';
import pg from 'pg';
import { readOnlyRoleSql } from '../../src/packs/database/role.js';

const T = { timeout: 30_000 };

async function tool(url: string, name: string, args: Record<string, unknown>) {
  const response = await statelessPost(url, 'tools/call', { name, arguments: args });
  assert.equal(response.status, 200, JSON.stringify(response.json));
  const result = response.json.result;
  return { result, structured: result.structuredContent, text: result.content?.[0]?.text as string, isError: result.isError === true };
}

async function fingerprint(db: ThrowawayDatabase): Promise<string> {
  const rows = await db.admin.query(`SELECT
      (SELECT md5(string_agg(id || ':' || value || ':' || label, ',' ORDER BY id)) FROM mcpd_canary) AS canary,
      (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public') AS tables,
      (SELECT last_value FROM mcpd_canary_id_seq) AS seq,
      (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects`);
  return JSON.stringify(rows.rows[0]);
}

/**
 * Every connection mcpd holds is idle, outside a transaction. A destroyed
 * connection's backend may take a moment to exit, so this waits up to 3 s.
 */
async function assertPoolClean(db: ThrowawayDatabase) {
  const busy = async () =>
    (await db.admin.query(`SELECT state, query FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mcpd' AND pid <> pg_backend_pid() AND state <> 'idle'`)).rows;
  const deadline = Date.now() + 3_000;
  let rows = await busy();
  while (rows.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    rows = await busy();
  }
  for (const row of rows) assert.equal(row.state, 'idle', `a pooled connection is ${row.state}: ${row.query}`);
  const locks = await db.admin.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`);
  assert.equal(locks.rows[0].n, 0, 'no advisory lock survives');
}

describe('database pack on PostgreSQL', () => {
  let db: ThrowawayDatabase;
  let app: StartedMcpd;

  before(async () => {
    db = await createThrowawayDatabase();
    await db.admin.query(`
      CREATE TABLE mcpd_canary (id serial PRIMARY KEY, value int NOT NULL, label text NOT NULL, created_at timestamptz DEFAULT '2024-01-02T03:04:05Z');
      COMMENT ON TABLE mcpd_canary IS 'rows the attacks try to change';
      INSERT INTO mcpd_canary (value, label) SELECT g, 'row ' || g FROM generate_series(1, 2000) g;
      CREATE TABLE typed (b bigint, n numeric, d date, ts timestamptz, bin bytea, j jsonb, arr int[], big_arr bigint[], f float8, flag bool, u uuid, iv interval);
      INSERT INTO typed VALUES (9007199254740993, 12345678901234567890.123, '2024-02-29', '2024-01-02 03:04:05.678+00', '\\xdeadbeef',
        '{"a": [1, 2]}', '{1,2,3}', '{9007199254740993}', 'NaN', true, '00000000-0000-0000-0000-000000000001', '1 day 02:00:00');
      CREATE TABLE notes (id serial PRIMARY KEY, body text);
      CREATE FUNCTION mcpd_evil_write() RETURNS int LANGUAGE sql AS 'DELETE FROM mcpd_canary RETURNING 1';
      CREATE FUNCTION mcpd_lock() RETURNS void LANGUAGE sql AS 'SELECT pg_advisory_lock(4242)';
      CREATE FUNCTION mcpd_poison() RETURNS text LANGUAGE sql AS $$ SELECT set_config('search_path', 'evil', false) $$;
      CREATE PROCEDURE mcpd_evil_procedure() LANGUAGE sql AS 'DELETE FROM mcpd_canary';
    `);
    app = await startMcpd(testConfig({ database: { dsn: db.url, databases: { main: { pool: { max: 3 }, maxRows: 500, defaultRows: 100 } } } }));
  });
  after(async () => {
    await app?.shutdown();
    await db?.drop();
  });

  test('a query returns columns, rows and structuredContent; every type arrives JSON-safe and exact', T, async () => {
    const { structured, text, isError } = await tool(app.url, 'db_query', { sql: 'SELECT * FROM typed' });
    assert.equal(isError, false, text);
    assert.deepEqual(structured.columns.map((c: { type: string }) => c.type), ['int8', 'numeric', 'date', 'timestamptz', 'bytea', 'jsonb', 'int4[]', 'int8[]', 'float8', 'bool', 'uuid', 'interval']);
    const [b, n, d, ts, bin, j, arr, bigArr, f, flag, u, iv] = structured.rows[0];
    assert.equal(b, '9007199254740993');
    assert.equal(n, '12345678901234567890.123');
    assert.equal(d, '2024-02-29');
    assert.equal(ts, '2024-01-02 03:04:05.678+00');
    assert.equal(bin, '\\xdeadbeef');
    assert.deepEqual(j, { a: [1, 2] });
    assert.deepEqual(arr, [1, 2, 3]);
    assert.equal(bigArr, '{9007199254740993}');
    assert.equal(f, 'NaN');
    assert.equal(flag, true);
    assert.equal(u, '00000000-0000-0000-0000-000000000001');
    assert.equal(iv, '1 day 02:00:00');
    assert.equal(structured.truncated, false);
    assert.deepEqual(JSON.parse(text), structured);
  });

  test('parameters travel separately, never spliced into the SQL', T, async () => {
    const { structured } = await tool(app.url, 'db_query', { sql: 'SELECT label FROM mcpd_canary WHERE id = $1 OR label = $2', params: [7, "x' OR '1'='1"] });
    assert.deepEqual(structured.rows, [['row 7']]);
  });

  test('row limits: the default, the caller’s, the server maximum; truncation is flagged', T, async () => {
    const byDefault = (await tool(app.url, 'db_query', { sql: 'SELECT id FROM mcpd_canary ORDER BY id' })).structured;
    assert.equal(byDefault.rowCount, 100);
    assert.equal(byDefault.truncated, true);
    assert.equal(byDefault.truncatedBy, 'maxRows');
    const asked = (await tool(app.url, 'db_query', { sql: 'SELECT id FROM mcpd_canary ORDER BY id', maxRows: 5 })).structured;
    assert.deepEqual(asked.rows, [[1], [2], [3], [4], [5]]);
    const capped = (await tool(app.url, 'db_query', { sql: 'SELECT id FROM mcpd_canary', maxRows: 100_000 })).structured;
    assert.equal(capped.rowCount, 500, 'database maxRows caps the caller');
    const exact = (await tool(app.url, 'db_query', { sql: 'SELECT id FROM mcpd_canary WHERE id <= 100' })).structured;
    assert.equal(exact.rowCount, 100);
    assert.equal(exact.truncated, false, 'exactly the limit is not truncated');
  });

  test('the statement timeout is enforced by the server, which cancels the statement', T, async () => {
    const started = Date.now();
    const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT count(*) FROM generate_series(1, 1000000000)', timeoutMs: 300 });
    assert.equal(isError, true);
    assert.match(text, /^TIMEOUT: .*cancelled by the database after 300 ms \(SQLSTATE 57014\)/);
    assert.ok(Date.now() - started < 5_000);
    // Nothing keeps running on the server (the statement was cancelled, its connection discarded).
    await assertPoolClean(db);
  });

  test(`the attack suite: ${SQL_ATTACKS.length} hostile statements rejected, the data unchanged, the pool clean`, T, async () => {
    const before = await fingerprint(db);
    for (const attack of SQL_ATTACKS) {
      const { isError, text } = await tool(app.url, 'db_query', { sql: attack.sql });
      assert.equal(isError, true, `${attack.name} was not refused`);
      assert.match(text, /^VALIDATION_ERROR: SQL rejected: /, attack.name);
    }
    assert.equal(await fingerprint(db), before);
    await assertPoolClean(db);
  });

  test('past the parser: a function that writes is stopped by the read-only transaction', T, async () => {
    const before = await fingerprint(db);
    const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT mcpd_evil_write()' });
    assert.equal(isError, true);
    assert.match(text, /^PERMISSION_DENIED: .*read-only transaction.*SQLSTATE 25006/);
    assert.equal(await fingerprint(db), before);
    await assertPoolClean(db);
  });

  test('a function taking a session advisory lock: the lock does not outlive the call (nor stay on a pooled connection)', T, async () => {
    const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT mcpd_lock()' });
    assert.equal(isError, false, text);
    await tool(app.url, 'db_explain', { sql: 'SELECT mcpd_lock()', analyze: true });
    await assertPoolClean(db);
  });

  test('session-state poisoning through a function is rolled back with the transaction', T, async () => {
    for (let i = 0; i < 6; i++) await tool(app.url, 'db_query', { sql: 'SELECT mcpd_poison()' });
    // Every pooled connection answers with the default search_path.
    const paths = await Promise.all(Array.from({ length: 6 }, () => tool(app.url, 'db_query', { sql: "SELECT current_setting('search_path')" })));
    for (const { structured } of paths) assert.equal(structured.rows[0][0], '"$user", public');
    await assertPoolClean(db);
  });

  test('schema discovery: schemas, search by name, describe a table', T, async () => {
    const schemas = (await tool(app.url, 'db_schema', {})).structured ?? JSON.parse((await tool(app.url, 'db_schema', {})).text);
    assert.ok(schemas.schemas.some((s: { schema: string }) => s.schema === 'public'));
    const found = JSON.parse((await tool(app.url, 'db_schema', { search: 'canar' })).text);
    assert.deepEqual(found.objects.map((o: { name: string }) => o.name), ['mcpd_canary']);
    const described = JSON.parse((await tool(app.url, 'db_schema', { table: 'public.mcpd_canary' })).text).table;
    assert.equal(described.comment, 'rows the attacks try to change');
    assert.deepEqual(described.columns.map((c: { name: string }) => c.name), ['id', 'value', 'label', 'created_at']);
    assert.ok(described.constraints.some((c: { kind: string }) => c.kind === 'primary key'));
    assert.ok(described.indexes.some((i: { primary: boolean }) => i.primary));
    const missing = await tool(app.url, 'db_schema', { table: 'nope' });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /^NOT_FOUND/);
  });

  test('explain returns the JSON plan; EXPLAIN ANALYZE can only ever run a checked SELECT', T, async () => {
    const plan = JSON.parse((await tool(app.url, 'db_explain', { sql: 'SELECT * FROM mcpd_canary WHERE id = $1', params: [3] })).text).plan;
    assert.ok(plan[0].Plan['Node Type']);
    const analyzed = JSON.parse((await tool(app.url, 'db_explain', { sql: 'SELECT count(*) FROM mcpd_canary', analyze: true })).text).plan;
    assert.ok(typeof analyzed[0]['Execution Time'] === 'number');
    const before = await fingerprint(db);
    const refused = await tool(app.url, 'db_explain', { sql: 'DELETE FROM mcpd_canary', analyze: true });
    assert.equal(refused.isError, true);
    assert.equal(await fingerprint(db), before);
  });

  test('write mode is off by default: no write tool is listed', T, async () => {
    const listed = await statelessPost(app.url, 'tools/list', {});
    const names = listed.json.result.tools.map((t: { name: string }) => t.name);
    assert.deepEqual(names.filter((n: string) => n.startsWith('db_')).sort(), ['db_explain', 'db_query', 'db_schema']);
    const query = listed.json.result.tools.find((t: { name: string }) => t.name === 'db_query');
    assert.equal(query.annotations.readOnlyHint, true);
  });

  test('connections killed under the pool: calls fail cleanly, then recover without restarting mcpd', T, async () => {
    await tool(app.url, 'db_query', { sql: 'SELECT 1' });
    await db.admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mcpd' AND datname = current_database()`);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT 1 AS ok' });
      outcomes.push(isError ? text.split(':')[0]! : 'ok');
      if (isError) assert.ok(!text.includes('127.0.0.1') && !text.includes('postgres://'), text);
    }
    assert.equal(outcomes[outcomes.length - 1], 'ok', outcomes.join(','));
    const ready = await fetch(`${app.origin}/readyz`);
    assert.equal(ready.status, 200);
    const report = (await ready.json()) as { checks: Record<string, { status: string }> };
    assert.equal(report.checks['database:main']!.status, 'ok');
  });

  test('pool exhaustion: a caller waiting past connectionTimeoutMs gets UNAVAILABLE, not a hang', T, async () => {
    const tiny = await startMcpd(testConfig({ database: { dsn: db.url, databases: { main: { pool: { max: 1, connectionTimeoutMs: 300 } } } } }));
    try {
      const slow = tool(tiny.url, 'db_query', { sql: 'SELECT count(*) FROM generate_series(1, 1000000000)', timeoutMs: 2_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const waiting = await tool(tiny.url, 'db_query', { sql: 'SELECT 1' });
      assert.equal(waiting.isError, true);
      assert.match(waiting.text, /^UNAVAILABLE: No connection to database main became free in time/);
      assert.match((await slow).text, /^TIMEOUT/);
      assert.equal((await tool(tiny.url, 'db_query', { sql: 'SELECT 1 AS ok' })).isError, false);
    } finally {
      await tiny.shutdown();
    }
  });

  test('an unreachable database: a clear error that never shows the DSN or its password', T, async () => {
    const broken = await startMcpd(testConfig({ database: { dsn: 'postgres://alice:s3cr3t-pw@127.0.0.1:1/nowhere' } }));
    try {
      const { isError, text } = await tool(broken.url, 'db_query', { sql: 'SELECT 1' });
      assert.equal(isError, true);
      assert.match(text, /^UPSTREAM_ERROR: Database main is unavailable/);
      assert.ok(!text.includes('s3cr3t') && !text.includes('alice') && !text.includes(':1/'), text);
      const ready = await fetch(`${broken.origin}/readyz`);
      assert.equal(ready.status, 503);
      assert.ok(!(await ready.text()).includes('s3cr3t'));
    } finally {
      await broken.shutdown();
    }
  });
});

describe('the recommended read-only role (mcpd db role-sql)', () => {
  test('the printed SQL runs, and the role reads but cannot write', T, async () => {
    const db = await createThrowawayDatabase();
    const role = `${db.name}_ro`;
    try {
      await db.admin.query('CREATE TABLE items (id int); INSERT INTO items VALUES (1)');
      await db.admin.query(readOnlyRoleSql(role, db.name));
      const url = new URL(db.url);
      url.username = role;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        assert.deepEqual((await client.query('SELECT id FROM items')).rows, [{ id: 1 }]);
        await assert.rejects(client.query('INSERT INTO items VALUES (2)'), (error: { code?: string }) => error.code === '25006' || error.code === '42501');
        // Even with the read-only default switched off, the role has no privilege to write.
        await client.query('SET default_transaction_read_only = off');
        await assert.rejects(client.query('INSERT INTO items VALUES (2)'), (error: { code?: string }) => error.code === '42501');
      } finally {
        await client.end();
      }
    } finally {
      await db.admin.query(`DROP OWNED BY ${role}`).catch(() => {});
      await db.drop();
      const root = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await root.connect();
      await root.query(`DROP ROLE IF EXISTS ${role}`);
      await root.end();
    }
  });
});

describe('database write mode', () => {
  let db: ThrowawayDatabase;
  let app: StartedMcpd;
  before(async () => {
    db = await createThrowawayDatabase();
    await db.admin.query(`CREATE TABLE notes (id serial PRIMARY KEY, body text); CREATE TABLE users (id serial PRIMARY KEY, name text); INSERT INTO users (name) VALUES ('ada')`);
    app = await startMcpd(testConfig({ database: { dsn: db.url, databases: { main: { write: { enabled: true, statements: ['insert', 'update'], tables: ['notes'] } } } } }));
  });
  after(async () => {
    await app?.shutdown();
    await db?.drop();
  });

  test('the write tool is annotated destructive and changes only allowed tables with allowed statements', T, async () => {
    const listed = await statelessPost(app.url, 'tools/list', {});
    const write = listed.json.result.tools.find((t: { name: string }) => t.name === 'db_write');
    assert.equal(write.annotations.destructiveHint, true);
    const inserted = await tool(app.url, 'db_write', { sql: 'INSERT INTO notes (body) VALUES ($1) RETURNING id', params: ['hello'] });
    assert.equal(inserted.isError, false, inserted.text);
    assert.equal(JSON.parse(inserted.text).rowCount, 1);
    const other = await tool(app.url, 'db_write', { sql: "UPDATE users SET name = 'eve'" });
    assert.match(other.text, /^PERMISSION_DENIED: writes to users are not enabled/);
    const deletion = await tool(app.url, 'db_write', { sql: 'DELETE FROM notes' });
    assert.match(deletion.text, /^PERMISSION_DENIED: DELETE is not enabled/);
    const rows = await db.admin.query('SELECT (SELECT count(*)::int FROM notes) AS notes, (SELECT name FROM users) AS name');
    assert.deepEqual(rows.rows[0], { notes: 1, name: 'ada' });
  });
});
