/**
 * db_query result caching through the real server (official SDK client, API
 * keys for two identities) against the real PostgreSQL: a repeated query is
 * served from the cache — proven by changing the row underneath — until its
 * TTL passes; another identity, other parameters, a zero TTL or an error never
 * reuse an entry; the metrics count hits, misses and errors. With Redis, two
 * servers share entries, and an unreachable Redis only costs misses.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createApiKey } from '../../src/security/auth/api-keys.js';
import { sampleValue, scrape, sleep, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../helpers/postgres.js';

const T = { timeout: 30_000 };
const REDIS = process.env.MCPD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_MS = 1_500;
const alice = createApiKey('alice', ['tools']);
const bob = createApiKey('bob', ['tools']);
const auth = { mode: 'apiKey' as const, apiKeys: [alice.entry, bob.entry].map((entry) => ({ ...entry, scopes: [...entry.scopes] })) };

interface QueryResult {
  structured: { rows: unknown[][]; cached?: boolean; [key: string]: unknown };
  isError: boolean;
  text: string;
}

const clients: Client[] = [];
async function connectAs(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'cache-test', version: '1.0.0' }, { versionNegotiation: { mode: 'legacy' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }), { timeout: 5_000 });
  clients.push(client);
  return client;
}

async function query(client: Client, args: Record<string, unknown>): Promise<QueryResult> {
  const result = await client.callTool({ name: 'db_query', arguments: args });
  const text = (result.content as { text?: string }[])[0]?.text ?? '';
  return { structured: result.structuredContent as QueryResult['structured'], isError: result.isError === true, text };
}

/** Repeats a call until `done` holds (bounded), returning the last result. */
async function until<R>(call: () => Promise<R>, done: (result: R) => boolean, limitMs = 10_000): Promise<R> {
  const deadline = Date.now() + limitMs;
  let result = await call();
  while (!done(result) && Date.now() < deadline) {
    await sleep(50);
    result = await call();
  }
  return result;
}

const valueOf = (result: QueryResult) => result.structured.rows[0]?.[0];
const VALUE = 'SELECT value FROM kv WHERE id = $1';

async function setValue(db: ThrowawayDatabase, id: number, value: string) {
  await db.admin.query('UPDATE kv SET value = $2 WHERE id = $1', [id, value]);
}

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
});

async function seed(prefix: string): Promise<ThrowawayDatabase> {
  const db = await createThrowawayDatabase(prefix);
  await db.admin.query(`CREATE TABLE kv (id int PRIMARY KEY, value text NOT NULL); INSERT INTO kv SELECT g, 'v' || g FROM generate_series(1, 20) g;`);
  return db;
}

describe('db_query cache, memory store', () => {
  let db: ThrowawayDatabase;
  let app: StartedMcpd;
  let asAlice: Client;
  let asBob: Client;

  before(async () => {
    db = await seed('mcpd_cache');
    app = await startMcpd(
      testConfig({ auth, database: { dsn: db.url, dsns: { uncached: db.url }, databases: { main: { cacheTtlMs: TTL_MS }, uncached: {} } } }),
    );
    asAlice = await connectAs(app.url, alice.key);
    asBob = await connectAs(app.url, bob.key);
  });
  after(async () => {
    await app?.shutdown();
    await db?.drop();
  });

  test('the tool tells agents which results may be cached, and for how long', T, async () => {
    const { tools } = await asAlice.listTools();
    const dbQuery = tools.find((tool) => tool.name === 'db_query')!;
    assert.match(dbQuery.description ?? '', /Results may come from a cache \(flagged `cached`\): main up to 1\.5 s old\./);
    assert.doesNotMatch(dbQuery.description ?? '', /uncached up to/);
    assert.ok((dbQuery.outputSchema as { properties: Record<string, unknown> }).properties.cached, 'cached is in the output schema');
  });

  test('a repeated query is served from the cache until its TTL passes', T, async () => {
    const first = await query(asAlice, { sql: VALUE, params: [1] });
    assert.equal(first.isError, false, first.text);
    assert.equal(valueOf(first), 'v1');
    assert.equal(first.structured.cached, undefined, 'a miss is not flagged');
    await setValue(db, 1, 'changed');
    const second = await query(asAlice, { sql: VALUE, params: [1] });
    assert.equal(valueOf(second), 'v1', 'the cached rows, not the changed row');
    assert.equal(second.structured.cached, true);
    assert.deepEqual({ ...second.structured, cached: undefined }, { ...first.structured, cached: undefined });
    assert.equal(JSON.parse(second.text).cached, true, 'the text content says so too');
    const later = await until(() => query(asAlice, { sql: VALUE, params: [1] }), (result) => valueOf(result) !== 'v1');
    assert.equal(valueOf(later), 'changed', 'after the TTL the query runs again');
    assert.equal(later.structured.cached, undefined);
  });

  test('another identity never gets an entry cached for someone else', T, async () => {
    assert.equal(valueOf(await query(asAlice, { sql: VALUE, params: [2] })), 'v2');
    await setValue(db, 2, 'for bob');
    const bobs = await query(asBob, { sql: VALUE, params: [2] });
    assert.equal(valueOf(bobs), 'for bob');
    assert.equal(bobs.structured.cached, undefined);
    const alices = await query(asAlice, { sql: VALUE, params: [2] });
    assert.deepEqual([valueOf(alices), alices.structured.cached], ['v2', true]);
    const bobsAgain = await query(asBob, { sql: VALUE, params: [2] });
    assert.deepEqual([valueOf(bobsAgain), bobsAgain.structured.cached], ['for bob', true], 'bob has an entry of his own');
  });

  test('other parameters, SQL text or row limit miss', T, async () => {
    assert.equal(valueOf(await query(asAlice, { sql: VALUE, params: [3] })), 'v3');
    await setValue(db, 3, 'new');
    assert.equal((await query(asAlice, { sql: VALUE, params: [3] })).structured.cached, true);
    for (const args of [
      { sql: VALUE, params: ['3'] },
      { sql: `${VALUE} `, params: [3] },
      { sql: VALUE, params: [3], maxRows: 5 },
    ]) {
      const result = await query(asAlice, args);
      assert.deepEqual([valueOf(result), result.structured.cached], ['new', undefined], JSON.stringify(args));
    }
    const other = await query(asAlice, { sql: VALUE, params: [4] });
    assert.deepEqual([valueOf(other), other.structured.cached], ['v4', undefined]);
  });

  test('a database with cacheTtlMs 0 is never cached', T, async () => {
    assert.equal(valueOf(await query(asAlice, { database: 'uncached', sql: VALUE, params: [5] })), 'v5');
    await setValue(db, 5, 'fresh');
    const again = await query(asAlice, { database: 'uncached', sql: VALUE, params: [5] });
    assert.deepEqual([valueOf(again), again.structured.cached], ['fresh', undefined]);
  });

  test('errors are not cached; rejected SQL is rejected every time', T, async () => {
    const missing = await query(asAlice, { sql: 'SELECT note FROM later' });
    assert.equal(missing.isError, true);
    await db.admin.query(`CREATE TABLE later (note text); INSERT INTO later VALUES ('here now')`);
    const found = await query(asAlice, { sql: 'SELECT note FROM later' });
    assert.deepEqual([found.isError, valueOf(found), found.structured.cached], [false, 'here now', undefined]);
    for (let i = 0; i < 2; i++) {
      const rejected = await query(asAlice, { sql: 'DELETE FROM kv' });
      assert.equal(rejected.isError, true);
      assert.match(rejected.text, /^VALIDATION_ERROR: SQL rejected/);
    }
  });

  test('metrics count hits and misses in the db namespace; a hit never reaches the database', T, async () => {
    const before = (await scrape(app.origin)).samples;
    const count = (samples: typeof before, name: string, labels: Record<string, string>) => sampleValue(samples, name, labels) ?? 0;
    await query(asAlice, { sql: VALUE, params: [6] });
    await query(asAlice, { sql: VALUE, params: [6] });
    const now = await scrape(app.origin);
    const delta = (name: string, labels: Record<string, string> = { cache: 'db' }) => count(now.samples, name, labels) - count(before, name, labels);
    assert.equal(delta('mcp_cache_hits_total'), 1);
    assert.equal(delta('mcp_cache_misses_total'), 1);
    assert.equal(delta('mcp_cache_errors_total'), 0);
    assert.equal(delta('db_queries_total', { database: 'main', operation: 'query', outcome: 'ok' }), 1, 'only the miss ran SQL');
    assert.equal(now.types.get('mcp_cache_hits_total'), 'counter');
    assert.ok((sampleValue(now.samples, 'mcp_cache_entries') ?? 0) >= 1);
    assert.ok((sampleValue(now.samples, 'mcp_cache_bytes') ?? 0) > 0);
  });
});

describe('db_query cache, Redis store', () => {
  let db: ThrowawayDatabase;
  const apps: StartedMcpd[] = [];
  before(async () => {
    db = await seed('mcpd_cache_redis');
  });
  after(async () => {
    for (const app of apps) await app.shutdown();
    await db?.drop();
  });
  const start = async (cache: Record<string, unknown>) => {
    const app = await startMcpd(testConfig({ auth, cache, database: { dsn: db.url, databases: { main: { cacheTtlMs: 60_000 } } } }));
    apps.push(app);
    return app;
  };
  /** Queries until an answer comes from the cache: this server's Redis connection is up. */
  const warm = (client: Client, params: unknown[]) =>
    until(() => query(client, { sql: VALUE, params }), (result) => result.structured.cached === true);

  test('two servers sharing a Redis serve each other’s entries', T, async () => {
    const settings = { store: 'redis', redisUrl: REDIS, keyPrefix: `mcpd-test-dbcache-${randomBytes(6).toString('hex')}` };
    const [a, b] = [await start(settings), await start(settings)];
    const [onA, onB] = [await connectAs(a.url, alice.key), await connectAs(b.url, alice.key)];
    assert.equal((await warm(onA, [7])).structured.cached, true, 'server A caches in Redis');
    assert.equal((await warm(onB, [8])).structured.cached, true, 'server B reaches Redis');
    await setValue(db, 7, 'changed');
    const fromB = await query(onB, { sql: VALUE, params: [7] });
    assert.deepEqual([valueOf(fromB), fromB.structured.cached], ['v7', true], "B serves the rows A cached, not the changed row");
    const asBob = await connectAs(b.url, bob.key);
    assert.equal(valueOf(await query(asBob, { sql: VALUE, params: [7] })), 'changed', 'not to another identity');
  });

  test('store redis without a URL: start fails, naming the variable', T, async () => {
    await assert.rejects(start({ store: 'redis' }), /MCPD_CACHE__REDIS_URL/);
  });

  test('an unreachable Redis: queries still answer, uncached; errors and misses are counted', T, async () => {
    const app = await start({ store: 'redis', redisUrl: 'redis://127.0.0.1:1', timeoutMs: 200 });
    const client = await connectAs(app.url, alice.key);
    for (let i = 0; i < 3; i++) {
      const result = await query(client, { sql: VALUE, params: [9] });
      assert.deepEqual([result.isError, valueOf(result), result.structured.cached], [false, 'v9', undefined]);
    }
    const { samples } = await scrape(app.origin);
    assert.equal(sampleValue(samples, 'mcp_cache_hits_total', { cache: 'db' }), 0, 'the series exists from the start');
    assert.equal(sampleValue(samples, 'mcp_cache_misses_total', { cache: 'db' }), 3);
    assert.ok((sampleValue(samples, 'mcp_cache_errors_total', { cache: 'db' }) ?? 0) >= 3, 'each failed lookup and store is an error');
    assert.equal(sampleValue(samples, 'mcp_cache_entries'), undefined, 'no memory gauges with the Redis store');
  });
});
