/**
 * Spends the caller's budget before the request is handled: a limited caller
 * gets RATE_LIMITED with a retry-after (HTTP 429 + Retry-After when the whole
 * request is refused); with Redis down and the closed policy, UNAVAILABLE.
 */
import { McpdError } from '../chassis/errors.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import type { Decision, RateLimiter } from './rate-limit.js';

/** `limiter` is read per request: it is created when the server starts (Redis connection). */
export function rateLimitMiddleware(limiter: { current: RateLimiter | undefined }, onDecision: (decision: Decision) => void = () => {}): ServerMiddleware {
  return async (ctx, next) => {
    const active = limiter.current;
    if (!active) return next();
    // Identified callers by subject; anonymous ones by address (behind trusted proxies only, X-Forwarded-For).
    const key = ctx.identity ? `id:${ctx.identity.subject}` : `ip:${ctx.exchange.clientAddress ?? 'unknown'}`;
    const tool = ctx.method === 'tools/call' && typeof ctx.params.name === 'string' ? ctx.params.name : undefined;
    const decision = await active.consume(key, tool);
    onDecision(decision);
    if (!decision.allowed) {
      throw decision.reason === 'limited'
        ? new McpdError('RATE_LIMITED', 'Rate limit exceeded', { retryAfterMs: decision.retryAfterMs, protocol: true, httpStatus: 429 })
        : new McpdError('UNAVAILABLE', 'Rate limiting is unavailable; try again later', { retryAfterMs: decision.retryAfterMs, protocol: true, httpStatus: 503 });
    }
    await next();
  };
}
