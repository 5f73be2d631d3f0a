/**
 * Request and tool metrics, recorded by a middleware around every request.
 * Label objects are built once per distinct value and reused: the hot path
 * allocates nothing for metrics.
 */
import type { Registry } from '../protocol/registry.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import { methodLabel, type Metrics } from './metrics.js';

function cache<T>(build: (key: string) => T): (key: string) => T {
  const entries = new Map<string, T>();
  return (key) => {
    let entry = entries.get(key);
    if (entry === undefined) entries.set(key, (entry = build(key)));
    return entry;
  };
}

export function metricsMiddleware(metrics: Metrics, registry: Registry): ServerMiddleware {
  // Keys are bounded: methods are a closed set, statuses the error taxonomy, tools the registered ones.
  const methodLabels = cache((method) => ({ method }));
  const requestLabels = cache((key) => {
    const cut = key.indexOf('|');
    return { method: key.slice(0, cut), status: key.slice(cut + 1) };
  });
  const toolLabels = cache((tool) => ({ tool }));
  const toolCallLabels = cache((key) => {
    const cut = key.indexOf('|');
    return { tool: key.slice(0, cut), outcome: key.slice(cut + 1) };
  });
  return async (ctx, next) => {
    metrics.inFlight.inc();
    try {
      await next();
    } finally {
      metrics.inFlight.dec();
      const seconds = ctx.elapsedMs() / 1000;
      const method = methodLabel(ctx.method);
      metrics.requests.inc(requestLabels(`${method}|${ctx.error ? ctx.error.code : 'ok'}`));
      metrics.requestDuration.observe(methodLabels(method), seconds);
      if (ctx.method === 'tools/call') {
        const name = ctx.params.name;
        // Only registered tools become label values: unknown names cannot blow up cardinality.
        const tool = typeof name === 'string' && registry.tools.has(name) ? name : 'unknown';
        const isToolError = (ctx.result as { isError?: boolean } | undefined)?.isError === true;
        metrics.toolCalls.inc(toolCallLabels(`${tool}|${ctx.error ? ctx.error.code : isToolError ? 'tool_error' : 'ok'}`));
        metrics.toolDuration.observe(toolLabels(tool), seconds);
      }
    }
  };
}
