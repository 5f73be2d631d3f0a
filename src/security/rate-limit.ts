/**
 * Rate limits: a budget per caller (identity, or client address for anonymous
 * callers) with a burst allowance, and optional budgets per tool, kept in
 * memory or in Redis so that every replica spends one shared budget
 * (rate-limiter-flexible). When Redis cannot be reached the configured policy
 * applies — fail open (a local in-memory budget takes over) or fail closed
 * (refuse) — and every such decision is reported.
 */
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface Budget {
  points: number;
  durationSec: number;
}

export interface RateLimitSettings {
  points: number;
  durationSec: number;
  burst: number;
  burstDurationSec: number;
  perTool: Readonly<Record<string, Budget>>;
  store: 'memory' | 'redis';
  redisUrl?: string;
  onStoreFailure: 'open' | 'closed';
  keyPrefix: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: 'limited' | 'store_unavailable'; retryAfterMs: number };

export interface RateLimitHooks {
  onStoreError(error: unknown): void;
}

type RedisClient = { connect(): Promise<unknown>; quit(): Promise<unknown>; destroy?(): void; on(event: string, listener: (error: unknown) => void): unknown; isReady: boolean };

const ALLOWED: Decision = { allowed: true };

export class RateLimiter {
  private readonly caller: RateLimiterAbstract | BurstyRateLimiter;
  private readonly fallbackCaller: RateLimiterAbstract | BurstyRateLimiter | undefined;
  private readonly tools = new Map<string, { primary: RateLimiterAbstract; fallback: RateLimiterAbstract | undefined }>();

  private constructor(
    private readonly settings: RateLimitSettings,
    private readonly hooks: RateLimitHooks,
    private readonly redis: RedisClient | undefined,
  ) {
    const make = (prefix: string, budget: Budget, shared: boolean): RateLimiterAbstract =>
      shared && redis
        ? new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, rejectIfRedisNotReady: true, keyPrefix: `${settings.keyPrefix}:${prefix}`, points: budget.points, duration: budget.durationSec })
        : new RateLimiterMemory({ keyPrefix: `${settings.keyPrefix}:${prefix}`, points: budget.points, duration: budget.durationSec });
    const bursty = (shared: boolean) => {
      const main = make('caller', { points: settings.points, durationSec: settings.durationSec }, shared);
      if (settings.burst <= 0) return main;
      return new BurstyRateLimiter(main, make('burst', { points: settings.burst, durationSec: settings.burstDurationSec }, shared));
    };
    const shared = settings.store === 'redis';
    this.caller = bursty(shared);
    this.fallbackCaller = shared && settings.onStoreFailure === 'open' ? bursty(false) : undefined;
    for (const [tool, budget] of Object.entries(settings.perTool)) {
      this.tools.set(tool, {
        primary: make(`tool:${tool}`, budget, shared),
        fallback: shared && settings.onStoreFailure === 'open' ? make(`tool:${tool}`, budget, false) : undefined,
      });
    }
  }

  static async create(settings: RateLimitSettings, hooks: RateLimitHooks): Promise<RateLimiter> {
    let redis: RedisClient | undefined;
    if (settings.store === 'redis') {
      if (!settings.redisUrl) throw new Error('rateLimit.store redis needs rateLimit.redisUrl');
      const { createClient } = await import('redis');
      redis = createClient({
        url: settings.redisUrl,
        disableOfflineQueue: true,
        socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5_000) },
      }) as unknown as RedisClient;
      redis.on('error', (error) => hooks.onStoreError(error));
      // Not awaited: an unreachable Redis must not stop the server; the failure policy applies meanwhile.
      redis.connect().catch((error: unknown) => hooks.onStoreError(error));
    }
    return new RateLimiter(settings, hooks, redis);
  }

  /** Spends one point of the caller's budget (and of the tool's, for a tool call). */
  async consume(key: string, tool?: string): Promise<Decision> {
    const decision = await this.spend(this.caller, this.fallbackCaller, key);
    if (!decision.allowed || tool === undefined) return decision;
    const limits = this.tools.get(tool);
    return limits ? this.spend(limits.primary, limits.fallback, `${key}|${tool}`) : ALLOWED;
  }

  private async spend(primary: RateLimiterAbstract | BurstyRateLimiter, fallback: RateLimiterAbstract | BurstyRateLimiter | undefined, key: string): Promise<Decision> {
    try {
      await primary.consume(key);
      return ALLOWED;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return { allowed: false, reason: 'limited', retryAfterMs: Math.max(1, outcome.msBeforeNext) };
      this.hooks.onStoreError(outcome);
      if (!fallback) return { allowed: false, reason: 'store_unavailable', retryAfterMs: 1_000 };
      return this.spend(fallback, undefined, key);
    }
  }

  async close(): Promise<void> {
    if (this.redis?.isReady) await this.redis.quit().catch(() => {});
    else this.redis?.destroy?.();
  }
}
