/**
 * The process's result cache: one store from the `cache` settings, handed out
 * as namespaces to the packs that ask (each namespace belongs to one pack, so
 * two packs can never read each other's entries by accident), with failures
 * counted per namespace and logged at most every 30 s — an unreachable Redis
 * must not flood the log.
 */
import { MemoryCacheStore } from './memory-store.js';
import { namespacedCache } from './namespaced.js';
import { RedisCacheStore } from './redis-store.js';
import type { CacheStore, ResultCache } from './result-cache.js';

export interface CacheSettings {
  store: 'memory' | 'redis';
  redisUrl?: string;
  keyPrefix: string;
  maxEntries: number;
  maxBytes: number;
  maxEntryBytes: number;
  timeoutMs: number;
}

/** A counter with a `cache` label (prom-client's Counter fits); kept structural so the chassis needs no prom-client. */
interface LabelledCounter {
  labels(namespace: string): { inc(value?: number): void };
}

export interface CacheCounters {
  hits: LabelledCounter;
  misses: LabelledCounter;
  errors: LabelledCounter;
}

export interface CacheHubHooks {
  /** A store failure, at most one per 30 s. */
  warn(error: unknown): void;
  /** Read when a namespace is claimed (after metrics exist); undefined with metrics off. */
  counters(): CacheCounters | undefined;
}

const WARN_INTERVAL_MS = 30_000;

export function createCacheStore(settings: CacheSettings, onConnectionError?: (error: unknown) => void): CacheStore {
  return settings.store === 'redis'
    ? new RedisCacheStore({ url: settings.redisUrl, timeoutMs: settings.timeoutMs, onConnectionError })
    : new MemoryCacheStore({ maxEntries: settings.maxEntries, maxBytes: settings.maxBytes, maxEntryBytes: settings.maxEntryBytes });
}

export class CacheHub {
  readonly store: CacheStore;
  private readonly owners = new Map<string, string>();
  private lastWarning = 0;

  constructor(
    private readonly settings: CacheSettings,
    private readonly hooks: CacheHubHooks,
  ) {
    this.store = createCacheStore(settings, (error) => this.report(error));
  }

  /** The memory store's size for gauges; undefined with Redis (which reports its own). */
  get memory(): MemoryCacheStore | undefined {
    return this.store instanceof MemoryCacheStore ? this.store : undefined;
  }

  /** The namespace's cache for `owner` (a pack name); another owner of the same namespace is refused. */
  namespace(namespace: string, owner: string): ResultCache {
    const current = this.owners.get(namespace);
    if (current !== undefined && current !== owner) throw new Error(`Cache namespace ${namespace} already belongs to pack ${current}`);
    const counters = this.hooks.counters();
    // Series exist at 0 from the start, so rate() and hit ratios work before the first miss.
    const [hits, misses, errors] = counters ? [counters.hits, counters.misses, counters.errors].map((counter) => counter.labels(namespace)) : [];
    for (const series of [hits, misses, errors]) series?.inc(0);
    const cache = namespacedCache(this.store, namespace, {
      prefix: this.settings.keyPrefix,
      maxEntryBytes: this.settings.maxEntryBytes,
      events: {
        hit: () => hits?.inc(),
        miss: () => misses?.inc(),
        error: (error) => {
          errors?.inc();
          this.report(error);
        },
      },
    });
    this.owners.set(namespace, owner);
    return cache;
  }

  /** Checks the settings; connects to Redis in the background, and only when a pack uses the cache. */
  start(): void {
    if (this.settings.store === 'redis' && !this.settings.redisUrl) {
      throw new Error('cache.store redis needs cache.redisUrl (MCPD_CACHE__REDIS_URL or MCPD_CACHE__REDIS_URL_FILE)');
    }
    if (this.owners.size > 0) this.store.start?.();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private report(error: unknown): void {
    if (Date.now() - this.lastWarning < WARN_INTERVAL_MS) return;
    this.lastWarning = Date.now();
    this.hooks.warn(error);
  }
}
