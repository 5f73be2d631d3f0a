/**
 * Per-request deadline: at the deadline the request's AbortSignal fires (the
 * handler should stop) and the client gets TIMEOUT at once, whether or not the
 * handler cooperates. Long-lived notification streams are exempt.
 *
 * One sweeper timer serves every request instead of a timer each: with the
 * same timeout for all, deadlines come in arrival order, so a sweep stops at the
 * first request still within its time. Precision is a tenth of the timeout
 * (at most one second).
 */
import type { RequestContext } from '../protocol/context.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import { McpdError } from './errors.js';

const EXEMPT = new Set(['subscriptions/listen']);

interface Pending {
  ctx: RequestContext;
  deadline: number;
  expire(): void;
}

export function timeoutMiddleware(timeoutMs: number): ServerMiddleware {
  const pending = new Set<Pending>();
  const granularity = Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
  let sweeper: NodeJS.Timeout | undefined;

  const sweep = () => {
    const now = performance.now();
    for (const entry of pending) {
      if (entry.deadline > now) break;
      pending.delete(entry);
      entry.expire();
    }
    if (pending.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  return (ctx, next) => {
    if (EXEMPT.has(ctx.method)) return next();
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = {
        ctx,
        deadline: ctx.startedAt + timeoutMs,
        expire: () => {
          const error = new McpdError('TIMEOUT', `Request timed out after ${timeoutMs} ms`);
          ctx.abort(error);
          ctx.error = error;
          resolve();
        },
      };
      pending.add(entry);
      if (!sweeper) {
        sweeper = setInterval(sweep, granularity);
        sweeper.unref();
      }
      next().then(
        () => {
          if (pending.delete(entry)) resolve();
        },
        (error: unknown) => {
          if (pending.delete(entry)) reject(error);
        },
      );
    });
  };
}
