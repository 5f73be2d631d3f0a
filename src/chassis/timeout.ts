/**
 * Per-request deadlines: at the deadline the request's AbortSignal fires (the
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
  deadline: number;
  expire(): void;
}

export class Deadlines {
  private readonly pending = new Set<Pending>();
  private readonly granularity: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {
    this.granularity = Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
  }

  private readonly sweep = () => {
    const now = performance.now();
    for (const entry of this.pending) {
      if (entry.deadline > now) break;
      this.pending.delete(entry);
      entry.expire();
    }
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  };

  /**
   * Runs `work` under the request's deadline: settles with it, or at the
   * deadline with `ctx.error = TIMEOUT` and the request aborted.
   */
  run(ctx: RequestContext, work: () => Promise<void>): Promise<void> {
    if (EXEMPT.has(ctx.method)) return work();
    return new Promise<void>((resolve, reject) => {
      const timeoutMs = this.timeoutMs;
      const entry: Pending = {
        deadline: ctx.startedAt + timeoutMs,
        expire: () => {
          const error = new McpdError('TIMEOUT', `Request timed out after ${timeoutMs} ms`);
          ctx.abort(error);
          ctx.error = error;
          resolve();
        },
      };
      this.pending.add(entry);
      if (!this.sweeper) {
        this.sweeper = setInterval(this.sweep, this.granularity);
        this.sweeper.unref();
      }
      work().then(
        () => {
          if (this.pending.delete(entry)) resolve();
        },
        (error: unknown) => {
          if (this.pending.delete(entry)) reject(error);
        },
      );
    });
  }
}

export function timeoutMiddleware(timeoutMs: number): ServerMiddleware {
  const deadlines = new Deadlines(timeoutMs);
  return (ctx, next) => deadlines.run(ctx, next);
}
