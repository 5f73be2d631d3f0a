/** The memory store: TTL expiry, the entry and byte bounds, least-recently-used eviction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCacheStore } from './memory-store.js';

function clock() {
  let now = 1_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const entry = (key: string, value: string) => [key, value, 60_000, Buffer.byteLength(value) + key.length] as const;

test('an entry lives for its TTL, then is gone', () => {
  const time = clock();
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 10_000, now: time.now });
  store.set('short', 'a', 100, 6);
  store.set('long', 'b', 1_000, 5);
  time.advance(100);
  assert.equal(store.get('short'), 'a');
  time.advance(1);
  assert.equal(store.get('short'), undefined, 'expired once older than its TTL');
  assert.equal(store.get('long'), 'b');
  time.advance(900);
  assert.equal(store.get('long'), undefined);
  assert.equal(store.entries, 0);
  assert.equal(store.bytes, 0);
});

test('expired entries are not counted in entries and bytes', () => {
  const time = clock();
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 10_000, now: time.now });
  store.set('a', 'x', 10, 2);
  store.set('b', 'y', 1_000, 2);
  assert.deepEqual([store.entries, store.bytes], [2, 4]);
  time.advance(11);
  assert.deepEqual([store.entries, store.bytes], [1, 2]);
});

test('the entry bound evicts the least recently used entry', () => {
  const store = new MemoryCacheStore({ maxEntries: 3, maxBytes: 10_000 });
  store.set(...entry('a', '1'));
  store.set(...entry('b', '2'));
  store.set(...entry('c', '3'));
  assert.equal(store.get('a'), '1', 'a is now the most recently used');
  store.set(...entry('d', '4'));
  assert.equal(store.get('b'), undefined, 'b was the least recently used');
  assert.deepEqual(['a', 'c', 'd'].map((key) => store.get(key)), ['1', '3', '4']);
  assert.equal(store.entries, 3);
});

test('the byte bound evicts until the new entry fits', () => {
  const store = new MemoryCacheStore({ maxEntries: 100, maxBytes: 100 });
  for (const key of ['k1', 'k2', 'k3']) store.set(...entry(key, 'v'.repeat(28))); // 30 bytes each
  assert.deepEqual([store.entries, store.bytes], [3, 90]);
  store.set(...entry('k4', 'v'.repeat(39))); // 41 bytes: only 10 free, so the two oldest go
  assert.equal(store.get('k1'), undefined);
  assert.equal(store.get('k2'), undefined);
  assert.equal(store.get('k3'), 'v'.repeat(28));
  assert.deepEqual([store.entries, store.bytes], [2, 71]);
});

test('bytes count UTF-8, keys included, when the caller gives no size', () => {
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 1_000 });
  store.set('key', 'é€', 60_000);
  assert.equal(store.bytes, 3 + 2 + 3);
});

test('an entry over maxEntryBytes is not kept, and does not leave an older value behind', () => {
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 1_000, maxEntryBytes: 50 });
  store.set(...entry('k', 'small'));
  store.set(...entry('k', 'x'.repeat(60)));
  assert.equal(store.get('k'), undefined, 'the stale smaller value is not served for the new one');
  store.set(...entry('other', 'x'.repeat(60)));
  assert.equal(store.get('other'), undefined);
  assert.equal(store.entries, 0);
});

test('an entry bigger than maxBytes is never kept, whatever maxEntryBytes says', () => {
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 20, maxEntryBytes: 1_000 });
  store.set(...entry('k', 'x'.repeat(30)));
  assert.equal(store.get('k'), undefined);
});

test('close empties the store', async () => {
  const store = new MemoryCacheStore({ maxEntries: 10, maxBytes: 1_000 });
  store.set(...entry('k', 'v'));
  await store.close();
  assert.equal(store.get('k'), undefined);
});
