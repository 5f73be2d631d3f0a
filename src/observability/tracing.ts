/**
 * OpenTelemetry traces. A SERVER span per JSON-RPC request and a child span per
 * tool call, named and attributed after the OTel semantic conventions for MCP
 * (`mcp.method.name`, `mcp.session.id`, `jsonrpc.request.id`, `gen_ai.tool.name`…).
 * The parent comes from the HTTP `traceparent` header or, in 2026-07-28, from
 * `_meta.traceparent`. Handlers run inside the span's context, so tool packs
 * start child spans with `trace.getTracer(...)` and they nest.
 *
 * With tracing off, the middleware is not installed at all and the SDK is never
 * loaded: off costs nothing.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import type { McpdConfig } from '../chassis/config/index.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import type { RequestContext } from '../protocol/context.js';

/** Which tracer the middleware uses; replaced when mcpd installs its own SDK (a fresh one per start). */
export interface TracerSource {
  tracer: Tracer;
}

export const globalTracerSource = (): TracerSource => ({ tracer: trace.getTracer('mcpd') });

/** Reads W3C trace context from `_meta` first (2026-07-28), then HTTP headers. */
const carrierGetter: TextMapGetter<RequestContext> = {
  keys: () => ['traceparent', 'tracestate'],
  get(ctx, key) {
    const fromMeta = ctx.meta[key];
    if (typeof fromMeta === 'string') return fromMeta;
    return ctx.exchange.header?.(key);
  },
};

export function tracingMiddleware(source: TracerSource = globalTracerSource()): ServerMiddleware {
  // context.with() only propagates when a context manager is registered (tracing.asyncContext);
  // handlers can always parent on ctx.traceContext.
  return async (ctx, next) => {
    const active = context.active();
    // Most requests carry no trace context: skip the propagator's parsing for them.
    const hasParent = typeof ctx.meta.traceparent === 'string' || ctx.exchange.header?.('traceparent') !== undefined;
    const parent: Context = hasParent ? propagation.extract(active, ctx, carrierGetter) : active;
    const method = ctx.method;
    const target = method === 'tools/call' || method === 'prompts/get' ? ctx.params.name : method === 'resources/read' ? ctx.params.uri : undefined;
    const isTool = method === 'tools/call' && typeof target === 'string';
    const attributes: Attributes = {
      'mcp.method.name': method,
      'jsonrpc.request.id': String(ctx.id),
      'network.transport': ctx.transport === 'stdio' ? 'pipe' : 'tcp',
    };
    if (ctx.session) attributes['mcp.session.id'] = ctx.session.id;
    if (ctx.protocolVersion) attributes['mcp.protocol.version'] = ctx.protocolVersion;
    if (isTool) {
      attributes['gen_ai.tool.name'] = target;
      attributes['gen_ai.operation.name'] = 'execute_tool';
    }
    const tracer = source.tracer;
    const span = tracer.startSpan(typeof target === 'string' ? `${method} ${target}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    if (!span.isRecording() && !hasParent) {
      // No SDK records and no caller's trace to continue: the rest would build contexts nobody reads.
      await next();
      return;
    }
    const spanContext = trace.setSpan(parent, span);
    try {
      if (isTool) {
        const toolSpan = tracer.startSpan(`execute_tool ${target}`, { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.tool.name': target } }, spanContext);
        try {
          const toolContext = trace.setSpan(spanContext, toolSpan);
          ctx.traceContext = toolContext;
          await context.with(toolContext, next);
          if ((ctx.result as { isError?: boolean } | undefined)?.isError) toolSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
        } finally {
          toolSpan.end();
        }
      } else {
        ctx.traceContext = spanContext;
        await context.with(spanContext, next);
      }
      if (ctx.error) {
        span.setAttribute('error.type', ctx.error.code);
        span.setAttribute('rpc.jsonrpc.error_code', ctx.error.jsonRpcCode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.error.code });
      }
    } finally {
      span.end();
    }
  };
}

export interface TracingHandle {
  /** The tracer of the installed SDK (undefined: use the global API). */
  tracer: Tracer | undefined;
  shutdown(): Promise<void>;
}

/** Installs the SDK with an OTLP/HTTP exporter (loaded only when tracing is enabled). */
export async function startTracing(config: McpdConfig['tracing']): Promise<TracingHandle> {
  // `none`: leave the global API alone — a host application's SDK, if any, receives the spans.
  if (config.exporter === 'none') return { tracer: undefined, shutdown: async () => {} };
  const [{ NodeTracerProvider }, { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler }, { OTLPTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/core'),
    ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.otlpEndpoint }), { scheduledDelayMillis: 1000 })],
  });
  // Without asyncContext no context manager is installed: AsyncLocalStorage would tax every promise.
  provider.register({ propagator: new W3CTraceContextPropagator(), ...(config.asyncContext ? {} : { contextManager: null }) });
  return {
    tracer: provider.getTracer('mcpd'),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
