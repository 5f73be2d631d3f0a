/**
 * Rate limits over real HTTP: exact budgets in memory, one budget shared by two
 * instances through a real Redis, the failure policies when Redis is
 * unreachable, and X-Forwarded-For believed only from trusted proxies.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { McpServer } from '../../src/index.js';
import { startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { STATELESS_META } from '../helpers/server.js';

const T = { timeout: 15_000 };
const REDIS = process.env.MCPD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const register = (server: McpServer) =>
  server.tool({ name: 'echo', description: 'echo', input: z.object({ text: z.string() }), handler: ({ text }) => text });

async function echo(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' }, _meta: STATELESS_META } }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), json: (await response.json()) as any };
}

const started: StartedMcpd[] = [];
after(async () => {
  for (const app of started) await app.shutdown();
});
const start = async (rateLimit: Record<string, unknown>, http: Record<string, unknown> = {}) => {
  const app = await startMcpd(testConfig({ rateLimit: { enabled: true, ...rateLimit }, http }), { register });
  started.push(app);
  return app;
};

describe('in memory', () => {
  test('exactly points + burst calls pass in a burst; the next gets 429 + Retry-After and RATE_LIMITED', T, async () => {
    const app = await start({ points: 5, burst: 2, durationSec: 60 });
    const results = [];
    for (let i = 0; i < 9; i++) results.push(await echo(app.url));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 200, 200, 429, 429]);
    const limited = results[7]!;
    assert.equal(limited.json.error.data.errorCode, 'RATE_LIMITED');
    assert.ok(Number(limited.retryAfter) >= 1);
    assert.ok(limited.json.error.data.retryAfterMs > 0);
  });

  test('per-tool budgets apply on top of the caller budget', T, async () => {
    const app = await start({ points: 100, burst: 0, perTool: { echo: { points: 2, durationSec: 60 } } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await echo(app.url)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('a forged X-Forwarded-For from an untrusted peer does not buy a fresh budget', T, async () => {
    const app = await start({ points: 2, burst: 0 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await echo(app.url, { 'x-forwarded-for': `203.0.113.${i + 1}` })).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('behind a trusted proxy, X-Forwarded-For names the caller', T, async () => {
    const app = await start({ points: 1, burst: 0 }, { trustedProxies: ['127.0.0.1'] });
    assert.equal((await echo(app.url, { 'x-forwarded-for': '203.0.113.1' })).status, 200);
    assert.equal((await echo(app.url, { 'x-forwarded-for': '203.0.113.1' })).status, 429);
    assert.equal((await echo(app.url, { 'x-forwarded-for': '203.0.113.2' })).status, 200);
  });
});

describe('in Redis, shared by replicas', () => {
  test('two instances spend one budget: exactly points + burst pass across both', T, async () => {
    const keyPrefix = `mcpd-test-${randomBytes(6).toString('hex')}`;
    const settings = { store: 'redis', redisUrl: REDIS, keyPrefix, points: 4, burst: 2, durationSec: 60 };
    const [a, b] = [await start(settings), await start(settings)];
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await echo(i % 2 === 0 ? a.url : b.url)).status);
    assert.equal(statuses.filter((status) => status === 200).length, 6);
    assert.deepEqual(statuses.slice(6), [429, 429, 429, 429]);
  });

  test('Redis unreachable, policy open: a local budget applies and the failure is counted', T, async () => {
    const app = await start({ store: 'redis', redisUrl: 'redis://127.0.0.1:1', onStoreFailure: 'open', points: 2, burst: 0 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await echo(app.url)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const metrics = await (await fetch(`${app.origin}/metrics`)).text();
    assert.match(metrics, /mcp_rate_limit_store_errors_total [1-9]/);
  });

  test('Redis unreachable, policy closed: refused with 503 and Retry-After', T, async () => {
    const app = await start({ store: 'redis', redisUrl: 'redis://127.0.0.1:1', onStoreFailure: 'closed' });
    const result = await echo(app.url);
    assert.equal(result.status, 503);
    assert.equal(result.json.error.data.errorCode, 'UNAVAILABLE');
    assert.ok(result.retryAfter);
  });
});
