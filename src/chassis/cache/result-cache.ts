/**
 * The result cache shared by tool packs (database query results, HTTP GET
 * responses): what a pack sees (`ResultCache`, one per namespace) and what
 * holds the bytes (`CacheStore`: this process's memory, or Redis shared by
 * every replica).
 */
import type { Identity } from '../../api/types.js';

/**
 * What a cached result depends on. The identity is a field of its own so that
 * no user of the cache can forget it: a result is never served to another caller.
 */
export interface CacheKey {
  /** The caller (`ctx.identity`); undefined (no authentication) is one anonymous caller shared by all. */
  identity: Identity | undefined;
  /** Everything else the result depends on (database, SQL, parameters, limits…): JSON values. */
  parts: readonly unknown[];
}

/** A namespaced view of the store (`db`, `http`…). Never rejects: an unreachable store is a miss. */
export interface ResultCache {
  readonly namespace: string;
  /** The value stored under the key (a string, or a parsed JSON value), or undefined. */
  get<T = unknown>(key: CacheKey): Promise<T | undefined>;
  /**
   * Keeps a string or a JSON-serialisable value for ttlMs. Resolves false when
   * it was not stored: larger than `cache.maxEntryBytes`, or the store failed.
   */
  set(key: CacheKey, value: unknown, ttlMs: number): Promise<boolean>;
}

/** Where serialised entries live. Keys arrive hashed; values are opaque strings. */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<string | undefined> | string | undefined;
  /** `bytes` is the entry's size as the cache measured it (key and value, UTF-8). */
  set(key: string, value: string, ttlMs: number, bytes: number): Promise<void> | void;
  /** Begins connecting (Redis); never waits for the connection. */
  start?(): void;
  close(): Promise<void>;
}

/** Counted per namespace by the chassis (metrics); the cache itself stays free of prom-client. */
export interface CacheEvents {
  hit(): void;
  miss(): void;
  error(error: unknown): void;
}

export const NO_EVENTS: CacheEvents = { hit() {}, miss() {}, error() {} };
