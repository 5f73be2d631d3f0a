/** Request and tool metrics, recorded by a middleware around every request. */
import type { Registry } from '../protocol/registry.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import { methodLabel, type Metrics } from './metrics.js';

export function metricsMiddleware(metrics: Metrics, registry: Registry): ServerMiddleware {
  return async (ctx, next) => {
    metrics.inFlight.inc();
    try {
      await next();
    } finally {
      metrics.inFlight.dec();
      const seconds = ctx.elapsedMs() / 1000;
      const method = methodLabel(ctx.method);
      metrics.requests.inc({ method, status: ctx.error ? ctx.error.code : 'ok' });
      metrics.requestDuration.observe({ method }, seconds);
      if (ctx.method === 'tools/call') {
        const name = ctx.params.name;
        // Only registered tools become label values: unknown names cannot blow up cardinality.
        const tool = typeof name === 'string' && registry.tools.has(name) ? name : 'unknown';
        const isToolError = (ctx.result as { isError?: boolean } | undefined)?.isError === true;
        metrics.toolCalls.inc({ tool, outcome: ctx.error ? ctx.error.code : isToolError ? 'tool_error' : 'ok' });
        metrics.toolDuration.observe({ tool }, seconds);
      }
    }
  };
}
