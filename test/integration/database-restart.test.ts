/**
 * The database really restarting under a running mcpd: a private PostgreSQL
 * cluster (test/helpers/private-postgres.ts) is stopped and started again
 * while the real server (the bundled `mcpd serve`, one child process for the
 * whole file) keeps serving an official SDK client. While the database is
 * down the tools answer a tool error with a stable code and no DSN, readiness
 * says so and mcpd stays up; once it is back the same mcpd answers again and
 * readiness recovers — no restart of mcpd. A statement in flight when the
 * database goes away (fast or immediate shutdown) ends promptly with an
 * error, never a hang.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLI, spawnChild, startedUrl, waitExit, type Child } from '../helpers/process.js';
import { createPrivatePostgres, type PrivatePostgres, type ShutdownMode } from '../helpers/private-postgres.js';

const T = { timeout: 20_000 } as const;
/** Every tool call is bounded: a hang fails the test instead of stalling the file. */
const CALL = { timeout: 10_000 } as const;
/** Trust auth ignores it; it is there to prove it never leaks. */
const PASSWORD = 'restart-s3cret-pw';

interface ToolOutcome {
  isError: boolean;
  text: string;
  code: string | undefined;
  structured: any;
  ms: number;
}

describe('the database restarting under a running mcpd', () => {
  let cluster: PrivatePostgres;
  let child: Child;
  let origin: string;
  let client: Client;
  let dsn: string;

  const secrets = () => [PASSWORD, dsn, `127.0.0.1:${cluster.port}`, `:${cluster.port}/`, cluster.dir];

  /** The text a client or a log reader sees contains neither the DSN, its password, the address nor the socket directory. */
  function assertNoSecrets(text: string, where: string) {
    for (const secret of secrets()) assert.ok(!text.includes(secret), `${where} shows ${JSON.stringify(secret)}: ${text}`);
  }

  async function call(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    const started = performance.now();
    const result = (await client.callTool({ name, arguments: args }, CALL)) as any;
    const text = (result.content ?? []).map((block: { text?: string }) => block.text ?? '').join('');
    return { isError: result.isError === true, text, code: result._meta?.['dev.mcpd/error']?.code, structured: result.structuredContent, ms: performance.now() - started };
  }

  async function readiness(): Promise<{ status: number; text: string; database: { status: string; error?: string } | undefined }> {
    const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    return { status: response.status, text, database: (JSON.parse(text) as { checks?: Record<string, { status: string; error?: string }> }).checks?.['database:main'] };
  }

  function assertMcpdAlive() {
    assert.equal(child.proc.exitCode, null, 'mcpd exited');
    assert.equal(child.proc.signalCode, null, 'mcpd was killed');
  }

  /** The call failed as an unavailable database: a tool error (not a protocol error) with a stable code. */
  function assertUnavailable(outcome: ToolOutcome, what: string) {
    assert.equal(outcome.isError, true, `${what}: ${outcome.text}`);
    assert.equal(outcome.code, 'UPSTREAM_ERROR', `${what}: ${outcome.text}`);
    assert.match(outcome.text, /^UPSTREAM_ERROR: Database main is unavailable\b.*; try again/, what);
    assertNoSecrets(outcome.text, what);
  }

  before(async () => {
    cluster = await createPrivatePostgres();
    await cluster.query('CREATE DATABASE restart_app');
    await cluster.query(`CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) g`, [], 'restart_app');
    const url = new URL(cluster.url('restart_app'));
    url.password = PASSWORD;
    dsn = url.toString();
    child = spawnChild([CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: { MCPD_ENV: 'database-restart-test-no-file', NODE_ENV: undefined, MCPD_CONFIG: undefined, MCPD_LOGGING__FORMAT: 'json', MCPD_LOGGING__LEVEL: 'info', MCPD_DATABASE__DSN: dsn },
    });
    const endpoint = await startedUrl(child);
    origin = new URL(endpoint).origin;
    client = new Client({ name: 'database-restart-test', version: '1.0.0' }, { capabilities: {} });
    await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)), { timeout: 5_000 });
  }, { timeout: 40_000 });

  after(async () => {
    await client?.close().catch(() => {});
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
      child.proc.kill('SIGKILL');
      await waitExit(child, 5_000).catch(() => {});
    }
    await cluster?.cleanup();
  }, { timeout: 20_000 });

  test('with the database up, db_query answers and readiness is ready', T, async () => {
    const { isError, text, structured } = await call('db_query', { sql: 'SELECT id, label FROM items ORDER BY id' });
    assert.equal(isError, false, text);
    assert.deepEqual(structured.rows, [1, 2, 3, 4, 5].map((id) => [id, `item ${id}`]));
    const ready = await readiness();
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.database?.status, 'ok');
  });

  test('the database stopped (fast shutdown): tool errors with a stable code, mcpd stays up, readiness says not ready', T, async () => {
    // Warm the pool so there are idle connections for the shutdown to kill.
    await Promise.all([1, 2, 3].map(() => call('db_query', { sql: 'SELECT 1' })));
    await cluster.stop('fast');
    for (let i = 0; i < 3; i++) {
      const outcome = await call('db_query', { sql: 'SELECT count(*) FROM items' });
      assertUnavailable(outcome, `db_query #${i + 1} while down`);
      assert.ok(outcome.ms < 5_000, `db_query while down took ${Math.round(outcome.ms)} ms`);
    }
    assertUnavailable(await call('db_schema', {}), 'db_schema while down');
    assertMcpdAlive();
    const live = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(live.status, 200, 'liveness is unaffected by the database');
    const ready = await readiness();
    assert.equal(ready.status, 503, ready.text);
    assert.equal(ready.database?.status, 'fail', ready.text);
    assert.ok(!ready.text.includes(PASSWORD) && !ready.text.includes('postgres://'), ready.text);
  });

  test('the database started again: the same mcpd answers again, readiness is back', T, async () => {
    await cluster.start();
    // The very first call after the restart succeeds: no dead connection is left in the pool.
    const first = await call('db_query', { sql: 'SELECT count(*)::int AS n FROM items' });
    assert.equal(first.isError, false, first.text);
    assert.deepEqual(first.structured.rows, [[5]]);
    const schema = await call('db_schema', { table: 'items' });
    assert.equal(schema.isError, false, schema.text);
    const ready = await readiness();
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.database?.status, 'ok');
    assertMcpdAlive();
  });

  for (const mode of ['fast', 'immediate'] as ShutdownMode[]) {
    test(`a statement in flight when the database stops (${mode} shutdown) ends promptly with an error; then it recovers`, T, async () => {
      // Minutes of work (pg_sleep is on the denylist), with a statement timeout far past the test's: only the shutdown can end it.
      const inFlight = call('db_query', { sql: 'SELECT count(*) FROM generate_series(1, 100000000000)', timeoutMs: 25_000 });
      inFlight.catch(() => {}); // awaited below; no unhandled rejection if the test fails before that
      const deadline = Date.now() + 5_000;
      for (;;) {
        const running = await cluster.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'mcpd' AND state = 'active' AND query LIKE '%generate_series(1, 100000000000)%'`);
        if (running.rows[0].n > 0) break;
        assert.ok(Date.now() < deadline, 'the statement never started');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const stopping = performance.now();
      await cluster.stop(mode);
      const outcome = await inFlight;
      const afterStop = performance.now() - stopping;
      assertUnavailable(outcome, `the statement in flight (${mode})`);
      assert.ok(afterStop < 3_000, `the call ended ${Math.round(afterStop)} ms after the shutdown`);
      assertMcpdAlive();
      assertUnavailable(await call('db_query', { sql: 'SELECT 1' }), `db_query after the ${mode} shutdown`);

      await cluster.start();
      const again = await call('db_query', { sql: 'SELECT label FROM items WHERE id = $1', params: [3] });
      assert.equal(again.isError, false, again.text);
      assert.deepEqual(again.structured.rows, [['item 3']]);
      assert.equal((await readiness()).status, 200);
    });
  }

  test('mcpd never logged the DSN, and still shuts down cleanly', T, async () => {
    assertMcpdAlive();
    const { stdout, stderr } = child.raw();
    assertNoSecrets(stdout + stderr, 'the mcpd log');
    await client.close();
    child.proc.kill('SIGTERM');
    const exit = await waitExit(child, 10_000);
    assert.equal(exit.code, 0, `exit ${exit.code ?? exit.signal}; stderr:\n${child.raw().stderr}`);
  });
});
