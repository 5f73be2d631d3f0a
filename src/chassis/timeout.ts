/**
 * Per-request deadline: at the deadline the request's AbortSignal fires (the
 * handler should stop) and the client gets TIMEOUT at once, whether or not the
 * handler cooperates. Long-lived notification streams are exempt.
 */
import { McpdError } from './errors.js';
import type { ServerMiddleware } from '../protocol/engine.js';

const EXEMPT = new Set(['subscriptions/listen']);

export function timeoutMiddleware(timeoutMs: number): ServerMiddleware {
  return (ctx, next) => {
    if (EXEMPT.has(ctx.method)) return next();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new McpdError('TIMEOUT', `Request timed out after ${timeoutMs} ms`);
        ctx.abort(error);
        ctx.error = error;
        resolve();
      }, timeoutMs);
      next().then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
}
