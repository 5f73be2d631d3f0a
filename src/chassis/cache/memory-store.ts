/**
 * The in-process store: one LRU for every namespace, bounded by entry count
 * and by bytes (keys and values), entries expiring at their TTL. Expired
 * entries are dropped when touched or pushed out by newer ones, not by timers
 * (a timer per entry would cost more than the memory it frees early).
 */
import { LRUCache } from 'lru-cache';
import type { CacheStore } from './result-cache.js';

export interface MemoryStoreOptions {
  maxEntries: number;
  maxBytes: number;
  /** Largest single entry; bigger ones are not kept. Default: maxBytes. */
  maxEntryBytes?: number;
  /** A clock for tests (milliseconds); default performance.now. */
  now?: () => number;
}

export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly lru: LRUCache<string, string>;

  constructor(options: MemoryStoreOptions) {
    this.lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      maxEntrySize: Math.min(options.maxEntryBytes ?? options.maxBytes, options.maxBytes),
      // Only reached when a caller gives no size; the cache always does.
      sizeCalculation: (value, key) => Buffer.byteLength(value) + key.length,
      // A test clock must be read on every call, not once per millisecond.
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    });
  }

  get(key: string): string | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: string, ttlMs: number, bytes?: number): void {
    this.lru.set(key, value, { ttl: ttlMs, ...(bytes === undefined ? {} : { size: bytes }) });
  }

  /** Live entries (expired ones are dropped first, so the figure is honest). */
  get entries(): number {
    this.lru.purgeStale();
    return this.lru.size;
  }

  /** Bytes held by live entries. */
  get bytes(): number {
    this.lru.purgeStale();
    return this.lru.calculatedSize;
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
