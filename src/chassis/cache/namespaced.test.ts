/**
 * A namespace's view of a store: values round-trip as copies, namespaces and
 * identities never see each other's entries, the size cap holds, and a failing
 * store only ever costs a miss (counted as an error), never a failed call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../api/types.js';
import { MemoryCacheStore } from './memory-store.js';
import { namespacedCache } from './namespaced.js';
import type { CacheEvents, CacheStore } from './result-cache.js';

const alice: Identity = { subject: 'alice', scopes: ['tools'], method: 'api-key' };
const bob: Identity = { subject: 'bob', scopes: ['tools'], method: 'api-key' };

function counting() {
  const counts = { hit: 0, miss: 0, error: 0 };
  const errors: unknown[] = [];
  const events: CacheEvents = { hit: () => counts.hit++, miss: () => counts.miss++, error: (error) => (counts.error++, errors.push(error)) };
  return { counts, errors, events };
}

const memory = () => new MemoryCacheStore({ maxEntries: 100, maxBytes: 100_000 });

test('JSON values and strings round-trip; a hit is a copy the caller may change', async () => {
  const { counts, events } = counting();
  const cache = namespacedCache(memory(), 'db', { prefix: 'p', maxEntryBytes: 10_000, events });
  const key = { identity: alice, parts: ['main', 'SELECT 1'] };
  assert.equal(await cache.get(key), undefined);
  const value = { rows: [[1, 'é', null, true]], nested: { n: 1.5 } };
  assert.equal(await cache.set(key, value, 1_000), true);
  const hit = await cache.get<typeof value>(key);
  assert.deepEqual(hit, value);
  hit!.rows.push([2]);
  assert.deepEqual(await cache.get(key), value, 'the stored entry is unaffected');
  const textKey = { identity: alice, parts: ['body'] };
  await cache.set(textKey, '{"not":"parsed"}', 1_000);
  assert.equal(await cache.get(textKey), '{"not":"parsed"}', 'a string comes back as the same string');
  assert.deepEqual(counts, { hit: 3, miss: 1, error: 0 });
});

test('namespaces and identities sharing one store never see each other’s entries', async () => {
  const store = memory();
  const db = namespacedCache(store, 'db', { prefix: 'p', maxEntryBytes: 10_000 });
  const http = namespacedCache(store, 'http', { prefix: 'p', maxEntryBytes: 10_000 });
  await db.set({ identity: alice, parts: ['x'] }, 'alice in db', 1_000);
  assert.equal(await http.get({ identity: alice, parts: ['x'] }), undefined);
  assert.equal(await db.get({ identity: bob, parts: ['x'] }), undefined);
  assert.equal(await db.get({ identity: undefined, parts: ['x'] }), undefined);
  assert.equal(await db.get({ identity: alice, parts: ['x'] }), 'alice in db');
  // A second view of the same namespace (another replica, a restart) finds it.
  assert.equal(await namespacedCache(store, 'db', { prefix: 'p', maxEntryBytes: 10_000 }).get({ identity: alice, parts: ['x'] }), 'alice in db');
});

test('values over maxEntryBytes, a TTL of 0 and unserialisable values are not stored', async () => {
  const { counts, events } = counting();
  const cache = namespacedCache(memory(), 'db', { prefix: 'p', maxEntryBytes: 200, events });
  const key = { identity: alice, parts: ['big'] };
  assert.equal(await cache.set(key, 'x'.repeat(200), 1_000), false);
  assert.equal(await cache.set(key, 'small', 0), false);
  assert.equal(await cache.set(key, { n: 10n }, 1_000), false);
  assert.equal(await cache.set(key, undefined, 1_000), false);
  assert.equal(await cache.get(key), undefined);
  assert.deepEqual(counts, { hit: 0, miss: 1, error: 2 }, 'the unserialisable values are errors; size and TTL are not');
});

test('a failing store is a miss and an error, never a rejection', async () => {
  const { counts, errors, events } = counting();
  const broken: CacheStore = {
    kind: 'redis',
    get: () => Promise.reject(new Error('connection refused')),
    set: () => {
      throw new Error('connection refused');
    },
    close: async () => {},
  };
  const cache = namespacedCache(broken, 'db', { prefix: 'p', maxEntryBytes: 10_000, events });
  assert.equal(await cache.get({ identity: alice, parts: ['q'] }), undefined);
  assert.equal(await cache.set({ identity: alice, parts: ['q'] }, { rows: [] }, 1_000), false);
  assert.deepEqual(counts, { hit: 0, miss: 1, error: 2 });
  assert.match(String(errors[0]), /connection refused/);
});

test('an unreadable entry is a miss and an error', async () => {
  const { counts, events } = counting();
  const store = memory();
  const cache = namespacedCache(store, 'db', { prefix: 'p', maxEntryBytes: 10_000, events });
  const key = { identity: alice, parts: ['q'] };
  await cache.set(key, { a: 1 }, 1_000);
  // Corrupt every stored entry (another writer, a truncated value).
  const [[id]] = [...(store as unknown as { lru: Map<string, string> }).lru.entries()];
  store.set(id!, 'j{"a":', 1_000, 10);
  assert.equal(await cache.get(key), undefined);
  assert.deepEqual(counts, { hit: 0, miss: 1, error: 1 });
});

test('key material that cannot be canonical is an error, not a thrown call', async () => {
  const { counts, events } = counting();
  const cache = namespacedCache(memory(), 'db', { prefix: 'p', maxEntryBytes: 10_000, events });
  assert.equal(await cache.get({ identity: alice, parts: [Number.NaN] }), undefined);
  assert.equal(await cache.set({ identity: alice, parts: [Number.NaN] }, 'v', 1_000), false);
  assert.deepEqual(counts, { hit: 0, miss: 1, error: 2 });
});

test('an invalid namespace is refused when the cache is made', () => {
  assert.throws(() => namespacedCache(memory(), 'DB:x', { prefix: 'p', maxEntryBytes: 1 }), TypeError);
});
