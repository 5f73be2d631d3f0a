/** The process's cache: namespaces owned by one pack, counters per namespace, throttled warnings, start checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheHub, type CacheCounters, type CacheSettings } from './hub.js';
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';

const MEMORY: CacheSettings = { store: 'memory', keyPrefix: 'p', maxEntries: 10, maxBytes: 10_000, maxEntryBytes: 1_000, timeoutMs: 100 };

function fakeCounters() {
  const values = new Map<string, number>();
  const counter = (name: string) => ({
    labels: (namespace: string) => ({ inc: (value = 1) => void values.set(`${name}{${namespace}}`, (values.get(`${name}{${namespace}}`) ?? 0) + value) }),
  });
  const counters: CacheCounters = { hits: counter('hits'), misses: counter('misses'), errors: counter('errors') };
  return { counters, values };
}

test('each namespace is counted apart, its series present at 0 from the start', async () => {
  const { counters, values } = fakeCounters();
  const hub = new CacheHub(MEMORY, { warn() {}, counters: () => counters });
  const db = hub.namespace('db', 'database');
  hub.namespace('http', 'http');
  assert.deepEqual(Object.fromEntries(values), { 'hits{db}': 0, 'misses{db}': 0, 'errors{db}': 0, 'hits{http}': 0, 'misses{http}': 0, 'errors{http}': 0 });
  const key = { identity: undefined, parts: ['q'] };
  await db.get(key);
  await db.set(key, 'v', 1_000);
  await db.get(key);
  assert.equal(values.get('hits{db}'), 1);
  assert.equal(values.get('misses{db}'), 1);
  assert.equal(values.get('hits{http}'), 0);
  assert.ok(hub.memory instanceof MemoryCacheStore);
  assert.equal(hub.memory.entries, 1);
});

test('a namespace belongs to the pack that claimed it first', () => {
  const hub = new CacheHub(MEMORY, { warn() {}, counters: () => undefined });
  hub.namespace('db', 'database');
  assert.doesNotThrow(() => hub.namespace('db', 'database'), 'the same pack may ask again');
  assert.throws(() => hub.namespace('db', 'intruder'), /already belongs to pack database/);
  assert.throws(() => hub.namespace('Bad Name', 'database'), TypeError);
});

test('with Redis: start refuses a missing URL, dials only when a namespace is claimed, and warns at most every 30 s', async () => {
  assert.throws(() => new CacheHub({ ...MEMORY, store: 'redis' }, { warn() {}, counters: () => undefined }).start(), /MCPD_CACHE__REDIS_URL/);

  const warnings: unknown[] = [];
  const unused = new CacheHub({ ...MEMORY, store: 'redis', redisUrl: 'redis://127.0.0.1:1' }, { warn: (error) => warnings.push(error), counters: () => undefined });
  unused.start();
  assert.equal(unused.memory, undefined);
  assert.equal((unused.store as unknown as { loading?: unknown }).loading, undefined, 'no pack uses the cache: Redis is never dialled');
  await unused.close();

  const { counters, values } = fakeCounters();
  const hub = new CacheHub({ ...MEMORY, store: 'redis', redisUrl: 'redis://127.0.0.1:1' }, { warn: (error) => warnings.push(error), counters: () => counters });
  const db = hub.namespace('db', 'database');
  hub.start();
  assert.ok(hub.store instanceof RedisCacheStore);
  for (let i = 0; i < 5; i++) assert.equal(await db.get({ identity: undefined, parts: [i] }), undefined);
  assert.equal(values.get('errors{db}'), 5);
  assert.equal(values.get('misses{db}'), 5);
  assert.equal(warnings.length, 1, 'one warning for a burst of failures');
  await hub.close();
});
