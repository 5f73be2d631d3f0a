/**
 * The embedded database (PGlite in a worker thread), served when no
 * PostgreSQL is configured: the demo shop answers on a fresh machine; types,
 * cursors and truncation behave as on PostgreSQL; a statement past its
 * deadline or a cancelled one is stopped by restarting the database thread
 * (PGlite cannot interrupt itself), after which calls work again; the attack
 * suite leaves the data unchanged; write mode, and data kept in a data
 * directory across restarts of mcpd.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SQL_ATTACKS } from '../fixtures/sql-attacks.js';
import { memoryLogger, startMcpd, testConfig, type MemoryLogger, type StartedMcpd } from '../helpers/chassis.js';
import { statelessPost } from '../helpers/server.js';

const T = { timeout: 60_000 };

async function tool(url: string, name: string, args: Record<string, unknown>) {
  const response = await statelessPost(url, 'tools/call', { name, arguments: args });
  assert.equal(response.status, 200, JSON.stringify(response.json));
  const result = response.json.result;
  return { result, structured: result.structuredContent, text: result.content?.[0]?.text as string, isError: result.isError === true };
}

async function rows(url: string, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  const { structured, text, isError } = await tool(url, 'db_query', { sql, params });
  assert.equal(isError, false, text);
  return structured.rows;
}

/** A digest of every demo table, read through the tool itself. */
async function fingerprint(url: string): Promise<string> {
  const [[digest]] = (await rows(
    url,
    `SELECT md5(concat_ws('|',
       (SELECT string_agg(c::text, ',' ORDER BY id) FROM customers c),
       (SELECT string_agg(p::text, ',' ORDER BY id) FROM products p),
       (SELECT string_agg(o::text, ',' ORDER BY id) FROM orders o),
       (SELECT string_agg(i::text, ',' ORDER BY order_id, product_id) FROM order_items i),
       (SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
       (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace)))`,
  )) as [[string]];
  return digest;
}

const restarts = (logs: MemoryLogger, reason: string) => logs.lines.filter((line) => line.msg === 'embedded database thread restarted' && line.reason === reason).length;

/** Runs SQL on a data directory with PGlite in a child process (setup the tools cannot do: they are read-only). */
function runOnDataDir(dataDir: string, sql: string): void {
  const script = `import { PGlite } from '@electric-sql/pglite'; const db = await PGlite.create({ dataDir: process.argv[1] }); await db.exec(process.argv[2]); await db.close();`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script, dataDir, sql], { cwd: process.cwd(), stdio: 'pipe', timeout: 60_000 });
}

const ownTemporaryDirectories = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`mcpd-pglite-${process.pid}-`));

describe('embedded database (PGlite) on a fresh machine', () => {
  let app: StartedMcpd;
  let logs: MemoryLogger;

  before(async () => {
    logs = memoryLogger('info');
    app = await startMcpd(testConfig({ database: { embedded: { enabled: true } } }), { logger: logs.logger });
  });
  after(async () => {
    await app?.shutdown();
    assert.deepEqual(ownTemporaryDirectories(), [], 'the temporary data directory is removed at stop');
  });

  test('with no DSN the demo shop answers; the tools say what the database holds', T, async () => {
    const listed = await statelessPost(app.url, 'tools/list');
    const query = listed.json.result.tools.find((entry: { name: string }) => entry.name === 'db_query');
    assert.match(query.description, /embedded demo shop: customers, products, orders/);
    assert.deepEqual(await rows(app.url, 'SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products), (SELECT count(*) FROM orders)'), [['200', '60', '1000']]);
    const [[total]] = (await rows(app.url, 'SELECT sum(total) FROM order_totals WHERE status = $1', ['delivered'])) as [[string]];
    assert.match(total, /^\d+\.\d{2}$/, 'numeric arrives as exact text');
    assert.ok(logs.lines.some((line) => line.msg === 'embedded database ready'));
  });

  test('types arrive JSON-safe, as from PostgreSQL', T, async () => {
    const { structured } = await tool(app.url, 'db_query', {
      sql: `SELECT 9007199254740993::bigint AS b, 1.10::numeric AS n, attributes, timestamptz '2024-01-02 03:04:05+00' AS ts, '\\xdeadbeef'::bytea AS bin, ARRAY[1,2] AS arr
            FROM products WHERE id = 1`,
    });
    const [b, n, attributes, ts, bin, arr] = structured.rows[0];
    assert.equal(b, '9007199254740993');
    assert.equal(n, '1.10');
    assert.equal(typeof (attributes as { colour: string }).colour, 'string');
    assert.equal(ts, '2024-01-02 03:04:05+00');
    assert.equal(bin, '\\xdeadbeef');
    assert.deepEqual(arr, [1, 2]);
    assert.deepEqual(
      structured.columns.map((column: { type: string }) => column.type),
      ['int8', 'numeric', 'jsonb', 'timestamptz', 'bytea', 'int4[]'],
    );
  });

  test('a million-row result read through the cursor stops at the row limit', T, async () => {
    const { structured, isError } = await tool(app.url, 'db_query', { sql: 'SELECT g, md5(g::text) FROM generate_series(1, 1000000) g', maxRows: 100 });
    assert.equal(isError, false);
    assert.equal(structured.rowCount, 100);
    assert.equal(structured.truncated, true);
    assert.equal(structured.truncatedBy, 'maxRows');
  });

  test('schema discovery, explain and the schema resources work on the embedded database', T, async () => {
    const described = await tool(app.url, 'db_schema', { table: 'order_items' });
    assert.equal(described.isError, false, described.text);
    assert.deepEqual(
      described.structured.table.columns.map((column: { name: string }) => column.name),
      ['order_id', 'product_id', 'quantity', 'unit_price'],
    );
    const found = await tool(app.url, 'db_schema', { search: 'order' });
    assert.deepEqual(found.structured.objects.map((object: { name: string }) => object.name).sort(), ['order_items', 'order_totals', 'orders']);
    const plan = await tool(app.url, 'db_explain', { sql: 'SELECT * FROM orders WHERE customer_id = $1', params: [7] });
    assert.equal(plan.isError, false, plan.text);
    const read = await statelessPost(app.url, 'resources/read', { uri: 'db://main/schemas' });
    assert.match(read.json.result.contents[0].text, /"public"/);
  });

  test(`the attack suite against the demo data: ${SQL_ATTACKS.length} statements refused, nothing changed`, T, async () => {
    const before = await fingerprint(app.url);
    for (const attack of SQL_ATTACKS) {
      // Aimed at the demo shop's own table rather than the PostgreSQL suite's canary.
      const sql = attack.sql.replaceAll('mcpd_canary', 'customers');
      const { isError, text } = await tool(app.url, 'db_query', { sql });
      assert.equal(isError, true, `${attack.name} was not refused`);
      assert.match(text, /^VALIDATION_ERROR: SQL rejected: /, attack.name);
    }
    assert.equal(await fingerprint(app.url), before);
  });

  test('a statement past its deadline: TIMEOUT, the database thread restarted, the next call answers', T, async () => {
    const before = restarts(logs, 'timeout');
    const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT count(*) FROM generate_series(1, 10000000000)', timeoutMs: 300 });
    assert.equal(isError, true);
    assert.match(text, /^TIMEOUT: .*after 300 ms \(SQLSTATE 57014\)/);
    assert.equal(restarts(logs, 'timeout'), before + 1, 'the runaway statement was stopped, not abandoned');
    assert.deepEqual(await rows(app.url, 'SELECT count(*) FROM customers'), [['200']]);
  });

  test('a cancelled call stops its statement (the single connection is free again at once)', T, async () => {
    const client = new Client({ name: 'embedded-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(app.url)), { timeout: 5_000 });
    try {
      const before = restarts(logs, 'cancelled');
      const controller = new AbortController();
      const call = client.callTool(
        { name: 'db_query', arguments: { sql: 'SELECT count(*) FROM generate_series(1, 10000000000)', timeoutMs: 30_000 } },
        { signal: controller.signal, timeout: 20_000 },
      );
      setTimeout(() => controller.abort('user cancelled'), 300);
      await assert.rejects(call, /user cancelled/);
      for (let waited = 0; restarts(logs, 'cancelled') === before && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(restarts(logs, 'cancelled'), before + 1, 'the statement was stopped on cancellation');
      // Had the statement kept running, this call would queue behind it for up to 30 s.
      const result = await client.callTool({ name: 'db_query', arguments: { sql: 'SELECT count(*) FROM orders' } }, { timeout: 10_000 });
      assert.deepEqual((result.structuredContent as { rows: unknown[][] }).rows, [['1000']]);
    } finally {
      await client.close();
    }
  });
});

describe('embedded database that cannot start', () => {
  test('the caller gets UNAVAILABLE without the local detail; the log has it; readiness fails', T, async () => {
    const logs = memoryLogger('info');
    const app = await startMcpd(testConfig({ database: { embedded: { enabled: true, dataDir: '/etc/passwd/mcpd-data' } } }), { logger: logs.logger });
    try {
      const { isError, text } = await tool(app.url, 'db_query', { sql: 'SELECT 1' });
      assert.equal(isError, true);
      assert.match(text, /^UNAVAILABLE: The embedded database main could not start or failed; the server log says why/);
      assert.doesNotMatch(text, /passwd|ENOTDIR/);
      assert.ok(logs.lines.some((line) => line.msg === 'embedded database failed' && /ENOTDIR|not a directory/.test(line.detail)));
      const ready = await fetch(`${app.origin}/readyz`);
      assert.equal(ready.status, 503);
      assert.doesNotMatch(await ready.text(), /passwd/);
    } finally {
      await app.shutdown();
    }
  });
});

describe('embedded database kept in a data directory', () => {
  let dataDir: string;

  before(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'mcpd-embedded-test-')), 'data');
  });
  after(() => {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  const config = () =>
    testConfig({
      database: {
        embedded: { enabled: true, dataDir },
        databases: { main: { write: { enabled: true, statements: ['insert'], tables: ['customers'] } } },
      },
    });

  test('write mode changes allowed tables; a failed write leaves nothing behind; the data survives a restart of mcpd', T, async () => {
    let app = await startMcpd(config());
    try {
      const inserted = await tool(app.url, 'db_write', {
        sql: "INSERT INTO customers (id, name, email, country, created_at) VALUES ($1, $2, $3, 'NL', now())",
        params: [1001, 'Test Person', 'test@example.com'],
      });
      assert.equal(inserted.isError, false, inserted.text);
      assert.equal(inserted.structured.rowCount, 1);
      const duplicate = await tool(app.url, 'db_write', {
        sql: "INSERT INTO customers (id, name, email, country, created_at) VALUES ($1, 'Again', 'again@example.com', 'NL', now())",
        params: [1001],
      });
      assert.equal(duplicate.isError, true);
      assert.match(duplicate.text, /^VALIDATION_ERROR: .*SQLSTATE 23505/);
      const refused = await tool(app.url, 'db_write', { sql: 'DELETE FROM customers' });
      assert.equal(refused.isError, true);
      // The failed write's transaction did not leak into the next connection of the single backend.
      assert.deepEqual(await rows(app.url, 'SELECT count(*), max(id) FROM customers'), [['201', 1001]]);
    } finally {
      await app.shutdown();
    }
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')), 'the data directory is kept');
    app = await startMcpd(config());
    try {
      assert.deepEqual(await rows(app.url, 'SELECT count(*) FROM customers WHERE email = $1', ['test@example.com']), [['1']]);
      assert.deepEqual(await rows(app.url, 'SELECT count(*) FROM customers'), [['201']], 'an existing data directory is not seeded again');
    } finally {
      await app.shutdown();
    }
  });

  test('a call cancelled while it waits for the single connection never runs (a cancelled write does not commit)', T, async () => {
    const app = await startMcpd(config());
    const client = new Client({ name: 'embedded-cancel', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(app.url)), { timeout: 5_000 });
    try {
      await rows(app.url, 'SELECT 1');
      // Holds the only connection until its deadline.
      const slow = tool(app.url, 'db_query', { sql: 'SELECT count(*) FROM generate_series(1, 10000000000)', timeoutMs: 1_500 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const controller = new AbortController();
      const write = client.callTool(
        { name: 'db_write', arguments: { sql: "INSERT INTO customers (id, name, email, country, created_at) VALUES (2002, 'Late', 'late@example.com', 'NL', now())" } },
        { signal: controller.signal, timeout: 20_000 },
      );
      setTimeout(() => controller.abort('user cancelled'), 200);
      await assert.rejects(write, /user cancelled/);
      assert.equal((await slow).isError, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(await rows(app.url, 'SELECT count(*) FROM customers WHERE id = 2002'), [['0']]);
    } finally {
      await client.close();
      await app.shutdown();
    }
  });

  test('past the parser: a function that writes is stopped by the read-only transaction; a poisoned session is not inherited', T, async () => {
    runOnDataDir(
      dataDir,
      `CREATE FUNCTION mcpd_evil_write() RETURNS int LANGUAGE sql AS 'DELETE FROM orders WHERE id = 1 RETURNING 1';
       CREATE FUNCTION mcpd_poison() RETURNS text LANGUAGE sql AS $$ SELECT set_config('search_path', 'evil', false) $$;`,
    );
    const app = await startMcpd(config());
    try {
      const before = await fingerprint(app.url);
      const write = await tool(app.url, 'db_query', { sql: 'SELECT mcpd_evil_write()' });
      assert.equal(write.isError, true);
      assert.match(write.text, /^PERMISSION_DENIED: .*read-only transaction/);
      const searchPath = await rows(app.url, "SELECT current_setting('search_path')");
      await tool(app.url, 'db_query', { sql: 'SELECT mcpd_poison()' });
      assert.deepEqual(await rows(app.url, "SELECT current_setting('search_path')"), searchPath);
      assert.notDeepEqual(searchPath, [['evil']]);
      assert.equal(await fingerprint(app.url), before);
    } finally {
      await app.shutdown();
    }
  });
});
