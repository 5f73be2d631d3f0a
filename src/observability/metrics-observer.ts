/**
 * Request and tool metrics (an observer of the instrumentation layer). Each
 * distinct label combination is resolved to its series once; after that a
 * request costs a map lookup and a few additions.
 */
import type { Registry } from '../protocol/registry.js';
import type { RequestObserver } from './instrumentation.js';
import { methodLabel, type Metrics } from './metrics.js';

export function metricsObserver(metrics: Metrics, registry: Registry): RequestObserver<undefined> {
  const { requests, requestDuration, toolCalls, toolDuration, inFlight } = metrics;
  return {
    start() {
      inFlight.value++;
      return undefined;
    },
    finish(ctx) {
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
    },
  };
}
