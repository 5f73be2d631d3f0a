/**
 * A namespace's view of the store: hashes the key material, serialises values
 * (strings kept as they are — an HTTP body is not worth escaping — anything
 * else as JSON, so a hit is a fresh copy no caller can mutate), enforces the
 * per-entry size cap, counts hits, misses and errors, and turns every failure
 * into a miss or an unstored value: the tool call goes on without the cache.
 */
import { checkNamespace, storeKey } from './key.js';
import { NO_EVENTS, type CacheEvents, type CacheKey, type CacheStore, type ResultCache } from './result-cache.js';

export interface NamespaceOptions {
  /** Leads every key (`cache.keyPrefix`). */
  prefix: string;
  /** Largest entry kept, key and value in UTF-8 bytes (`cache.maxEntryBytes`). */
  maxEntryBytes: number;
  events?: CacheEvents;
}

const STRING = 's';
const JSON_VALUE = 'j';

function json(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('A cached value must be a string or JSON-serialisable');
  return text;
}

export function namespacedCache(store: CacheStore, namespace: string, options: NamespaceOptions): ResultCache {
  checkNamespace(namespace);
  const events = options.events ?? NO_EVENTS;
  return {
    namespace,
    async get<T>(key: CacheKey): Promise<T | undefined> {
      let raw: string | undefined;
      try {
        raw = await store.get(storeKey(options.prefix, namespace, key));
        if (raw !== undefined) {
          const value = (raw[0] === STRING ? raw.slice(1) : JSON.parse(raw.slice(1))) as T;
          events.hit();
          return value;
        }
      } catch (error) {
        events.error(error);
      }
      events.miss();
      return undefined;
    },
    async set(key: CacheKey, value: unknown, ttlMs: number): Promise<boolean> {
      if (!(ttlMs > 0)) return false;
      try {
        const id = storeKey(options.prefix, namespace, key);
        const text = typeof value === 'string' ? STRING + value : JSON_VALUE + json(value);
        const bytes = Buffer.byteLength(text) + id.length;
        if (bytes > options.maxEntryBytes) return false;
        await store.set(id, text, ttlMs, bytes);
        return true;
      } catch (error) {
        events.error(error);
        return false;
      }
    },
  };
}
