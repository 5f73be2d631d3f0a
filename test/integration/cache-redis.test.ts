/**
 * The result cache on the real Redis (127.0.0.1:6379, or MCPD_TEST_REDIS_URL):
 * two caches sharing one Redis see each other's entries, keys are hashes with
 * a TTL, and an unreachable or silent Redis costs a miss and an error count —
 * never a failed or hanging call.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createClient } from 'redis';
import type { Identity } from '../../src/api/types.js';
import { namespacedCache, RedisCacheStore, type CacheEvents } from '../../src/chassis/cache/index.js';
import { sleep } from '../helpers/chassis.js';

const T = { timeout: 15_000 };
const REDIS = process.env.MCPD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const alice: Identity = { subject: 'alice', scopes: ['tools'], method: 'api-key' };
const bob: Identity = { subject: 'bob', scopes: ['tools'], method: 'api-key' };

const stores: RedisCacheStore[] = [];
after(async () => {
  for (const store of stores) await store.close();
});

function counting() {
  const counts = { hit: 0, miss: 0, error: 0 };
  const events: CacheEvents = { hit: () => counts.hit++, miss: () => counts.miss++, error: () => counts.error++ };
  return { counts, events };
}

async function connectedStore(url = REDIS, timeoutMs = 1_000): Promise<RedisCacheStore> {
  const store = new RedisCacheStore({ url, timeoutMs });
  stores.push(store);
  store.start();
  const deadline = Date.now() + 5_000;
  while (!store.ready && Date.now() < deadline) await sleep(20);
  assert.ok(store.ready, `Redis at ${url} is not reachable`);
  return store;
}

describe('shared through Redis', () => {
  const prefix = `mcpd-test-cache-${randomBytes(6).toString('hex')}`;
  const admin = createClient({ url: REDIS });
  after(async () => {
    if (admin.isOpen) {
      for (const key of await admin.keys(`${prefix}:*`)) await admin.del(key);
      await admin.close();
    }
  });

  test('what one cache stores, another cache on the same Redis finds (and only for the same identity)', T, async () => {
    const a = counting();
    const b = counting();
    const replicaA = namespacedCache(await connectedStore(), 'db', { prefix, maxEntryBytes: 1_000_000, events: a.events });
    const replicaB = namespacedCache(await connectedStore(), 'db', { prefix, maxEntryBytes: 1_000_000, events: b.events });
    const key = { identity: alice, parts: ['main', 'SELECT * FROM payroll WHERE id = $1', [7], 100] };
    const value = { database: 'main', rows: [['é', 1, null]], truncated: false };
    assert.equal(await replicaB.get(key), undefined);
    assert.equal(await replicaA.set(key, value, 30_000), true);
    assert.deepEqual(await replicaB.get(key), value);
    assert.equal(await replicaB.get({ ...key, identity: bob }), undefined, 'another identity misses');
    assert.equal(await namespacedCache(stores[1]!, 'http', { prefix, maxEntryBytes: 1_000_000 }).get(key), undefined, 'another namespace misses');
    assert.deepEqual(a.counts, { hit: 0, miss: 0, error: 0 });
    assert.deepEqual(b.counts, { hit: 1, miss: 2, error: 0 });

    // In Redis: one hashed key with the TTL, and nothing of the key material in its name.
    await admin.connect();
    const keys = await admin.keys(`${prefix}:*`);
    assert.equal(keys.length, 1);
    assert.match(keys[0]!, new RegExp(`^${prefix}:db:[0-9a-f]{64}$`));
    assert.doesNotMatch(keys[0]!, /payroll|alice|SELECT/);
    const ttl = await admin.pTTL(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 30_000, `pttl ${ttl}`);
  });

  test('an entry expires in Redis after its TTL', T, async () => {
    const cache = namespacedCache(await connectedStore(), 'db', { prefix, maxEntryBytes: 1_000_000 });
    const key = { identity: alice, parts: ['expiring'] };
    assert.equal(await cache.set(key, 'soon gone', 150), true);
    assert.equal(await cache.get(key), 'soon gone');
    const deadline = Date.now() + 5_000;
    while ((await cache.get(key)) !== undefined && Date.now() < deadline) await sleep(50);
    assert.equal(await cache.get(key), undefined);
  });
});

describe('Redis unavailable', () => {
  test('an unreachable Redis: every lookup misses and counts an error; nothing throws', T, async () => {
    const { counts, events } = counting();
    const store = new RedisCacheStore({ url: 'redis://127.0.0.1:1', timeoutMs: 500 });
    stores.push(store);
    store.start();
    const cache = namespacedCache(store, 'db', { prefix: 'mcpd-test-down', maxEntryBytes: 1_000, events });
    const key = { identity: alice, parts: ['q'] };
    assert.equal(await cache.set(key, 'v', 1_000), false);
    assert.equal(await cache.get(key), undefined);
    await sleep(300); // connection attempts have failed by now, not merely not finished
    assert.equal(await cache.get(key), undefined);
    assert.deepEqual(counts, { hit: 0, miss: 2, error: 3 });
    assert.equal(store.ready, false);
  });

  test('a Redis that completes the handshake, then never answers: the operation timeout turns it into a miss', T, async () => {
    const sockets = new Set<Socket>();
    // Just enough RESP: +OK to the client's CLIENT SETINFO handshake, silence for GET and SET.
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('data', (data) => {
        for (let i = 0; i < data.toString().split('CLIENT\r\n').length - 1; i++) socket.write('+OK\r\n');
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { counts, events } = counting();
      const store = await connectedStore(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, 100);
      const cache = namespacedCache(store, 'db', { prefix: 'mcpd-test-silent', maxEntryBytes: 1_000, events });
      assert.equal(await cache.get({ identity: alice, parts: ['q'] }), undefined);
      assert.equal(await cache.set({ identity: alice, parts: ['q'] }, 'v', 1_000), false);
      assert.deepEqual(counts, { hit: 0, miss: 1, error: 2 });
      await store.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('closing a store that never connected, or twice, is harmless', T, async () => {
    const never = new RedisCacheStore({ url: REDIS, timeoutMs: 100 });
    await never.close();
    const store = await connectedStore();
    await store.close();
    await store.close();
    assert.equal(store.ready, false);
  });

  test('store redis without a URL: operations miss with an error', T, async () => {
    const { counts, events } = counting();
    const store = new RedisCacheStore({ url: undefined, timeoutMs: 100 });
    assert.throws(() => store.start(), /cache\.redisUrl/);
    const cache = namespacedCache(store, 'db', { prefix: 'p', maxEntryBytes: 1_000, events });
    assert.equal(await cache.get({ identity: alice, parts: ['q'] }), undefined);
    assert.deepEqual(counts, { hit: 0, miss: 1, error: 1 });
  });
});
