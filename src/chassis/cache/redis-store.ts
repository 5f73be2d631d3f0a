/**
 * The shared store: Redis, so every replica serves what any of them cached.
 * The client is created on first need (the `redis` package is loaded only
 * then) and connects in the background; until it is ready, and whenever it is
 * not, operations fail at once (no offline queue) and the cache counts a miss.
 * A Redis that accepts a command and never answers is cut off by the
 * operation timeout: a cache must not be slower than no cache.
 */
import type { CacheStore } from './result-cache.js';

export interface RedisStoreOptions {
  url: string | undefined;
  /** Longest a GET or SET may take before it counts as a failure. */
  timeoutMs: number;
  /** Connection-level failures (the client's `error` events); operation failures reach the cache instead. */
  onConnectionError?(error: unknown): void;
}

type RedisClient = {
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (error: unknown) => void): unknown;
  isReady: boolean;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number } }): Promise<unknown>;
};

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private client: RedisClient | undefined;
  private loading: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RedisStoreOptions) {}

  /** Whether commands can be sent now (tests wait for it). */
  get ready(): boolean {
    return this.client?.isReady === true;
  }

  start(): void {
    if (!this.options.url) throw new Error('cache.store redis needs cache.redisUrl (MCPD_CACHE__REDIS_URL or MCPD_CACHE__REDIS_URL_FILE)');
    this.loading ??= this.connect(this.options.url).catch((error: unknown) => this.options.onConnectionError?.(error));
  }

  private async connect(url: string): Promise<void> {
    const { createClient } = await import('redis');
    if (this.closed) return;
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
    }) as unknown as RedisClient;
    client.on('error', (error) => this.options.onConnectionError?.(error));
    this.client = client;
    // Not awaited by anyone: an unreachable Redis must not hold up start; operations miss meanwhile.
    await client.connect();
  }

  private usable(): RedisClient {
    if (!this.client) this.start();
    const client = this.client;
    if (!client?.isReady) throw new Error('Redis cache store is not connected');
    return client;
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.bounded(this.usable().get(key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.bounded(this.usable().set(key, value, { expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } }));
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis cache operation took longer than ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      timer.unref();
    });
    // A late answer after the timeout is dropped; its rejection must not go unhandled.
    operation.catch(() => {});
    return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const destroy = () => {
      try {
        client.destroy();
      } catch {
        // already closed
      }
    };
    if (!client.isReady) return destroy();
    // close() waits for commands in flight, which a stuck Redis never answers: destroy after the timeout.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs)));
    const closed = await Promise.race([client.close().then(() => true, () => false), deadline.then(() => false)]);
    clearTimeout(timer);
    if (!closed) destroy();
  }
}
