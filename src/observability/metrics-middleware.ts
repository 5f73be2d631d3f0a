/**
 * Request and tool metrics, recorded by a middleware around every request.
 * Each distinct label combination is resolved to its series once; after that a
 * request costs a map lookup and a few additions.
 */
import type { Registry } from '../protocol/registry.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import { methodLabel, type Metrics } from './metrics.js';

export function metricsMiddleware(metrics: Metrics, registry: Registry): ServerMiddleware {
  const { requests, requestDuration, toolCalls, toolDuration, inFlight } = metrics;
  return async (ctx, next) => {
    inFlight.value++;
    try {
      await next();
    } finally {
      inFlight.value--;
      const seconds = ctx.elapsedMs() / 1000;
      // Label values are bounded: methods are a closed set, statuses the error taxonomy, tools the registered ones.
      const method = methodLabel(ctx.method);
      const status = ctx.error ? ctx.error.code : 'ok';
      requests.series$(`${method}|${status}`, () => ({ method, status })).value++;
      requestDuration.observe(requestDuration.series$(method, () => ({ method })), seconds);
      if (ctx.method === 'tools/call') {
        const name = ctx.params.name;
        const tool = typeof name === 'string' && registry.tools.has(name) ? name : 'unknown';
        const outcome = ctx.error ? ctx.error.code : (ctx.result as { isError?: boolean } | undefined)?.isError === true ? 'tool_error' : 'ok';
        toolCalls.series$(`${tool}|${outcome}`, () => ({ tool, outcome })).value++;
        toolDuration.observe(toolDuration.series$(tool, () => ({ tool })), seconds);
      }
    }
  };
}
