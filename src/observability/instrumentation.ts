/**
 * The chassis' own instrumentation runs as observers in one pipeline layer —
 * Fastify-style hooks called at request start and at response, in a fixed order
 * (start in order, finish in reverse) — instead of one wrapping middleware each:
 * every wrapping layer costs promises on every request. User middleware keeps
 * the `(ctx, next)` form.
 */
import type { Deadlines } from '../chassis/timeout.js';
import { normalizeError } from '../chassis/errors.js';
import type { RequestContext } from '../protocol/context.js';
import type { ServerMiddleware } from '../protocol/engine.js';

export interface RequestObserver<State = unknown> {
  /** The request enters the pipeline; the returned state comes back to `finish`. */
  start(ctx: RequestContext): State;
  /** The request is settled: `ctx.result` or `ctx.error` is final. */
  finish(ctx: RequestContext, state: State): void;
}

export function instrumentationMiddleware(observers: readonly RequestObserver<any>[], deadlines?: Deadlines): ServerMiddleware {
  const count = observers.length;
  return (ctx, next) => {
    const states = new Array<unknown>(count);
    for (let i = 0; i < count; i++) states[i] = observers[i]!.start(ctx);
    const finish = () => {
      for (let i = count - 1; i >= 0; i--) observers[i]!.finish(ctx, states[i]);
    };
    const work = deadlines ? deadlines.run(ctx, next) : next();
    return work.then(finish, (error: unknown) => {
      // A middleware further in threw: observers see the error the engine will answer with.
      ctx.error = normalizeError(error);
      finish();
      throw error;
    });
  };
}
