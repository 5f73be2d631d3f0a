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
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import type { TracingSettings } from '../chassis/config/index.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import type { RequestContext } from '../protocol/context.js';
import type { RequestObserver } from './instrumentation.js';

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

interface RequestSpans {
  span: Span;
  toolSpan: Span | undefined;
  /** The context handlers run in (the tool span's, else the request span's). */
  context: Context;
}

/** Starts the request's spans; undefined when nothing records them and there is no caller trace to continue. */
function startSpans(tracer: Tracer, ctx: RequestContext): RequestSpans | undefined {
  const active = context.active();
  // Most requests carry no trace context: skip the propagator's parsing for them.
  const hasParent = typeof ctx.meta.traceparent === 'string' || ctx.exchange.header?.('traceparent') !== undefined;
  const parent: Context = hasParent ? propagation.extract(active, ctx, carrierGetter) : active;
  const method = ctx.method;
  const target = method === 'tools/call' || method === 'prompts/get' ? ctx.params.name : method === 'resources/read' ? ctx.params.uri : undefined;
  const span = tracer.startSpan(typeof target === 'string' ? `${method} ${target}` : method, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording() && !hasParent) return undefined;
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
  span.setAttributes(attributes);
  const spanContext = trace.setSpan(parent, span);
  if (!isTool) return { span, toolSpan: undefined, context: spanContext };
  const toolSpan = tracer.startSpan(`execute_tool ${target}`, { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.tool.name': target } }, spanContext);
  return { span, toolSpan, context: trace.setSpan(spanContext, toolSpan) };
}

function endSpans(ctx: RequestContext, spans: RequestSpans): void {
  if (spans.toolSpan) {
    if ((ctx.result as { isError?: boolean } | undefined)?.isError) spans.toolSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
    spans.toolSpan.end();
  }
  if (ctx.error) {
    spans.span.setAttribute('error.type', ctx.error.code);
    spans.span.setAttribute('rpc.jsonrpc.error_code', ctx.error.jsonRpcCode);
    spans.span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.error.code });
  }
  spans.span.end();
}

/**
 * Spans as an observer of the instrumentation layer: handlers parent their spans
 * on `ctx.traceContext`. The default (no async context propagation).
 */
export function tracingObserver(source: TracerSource = globalTracerSource()): RequestObserver<RequestSpans | undefined> {
  return {
    start(ctx) {
      const spans = startSpans(source.tracer, ctx);
      if (spans) ctx.traceContext = spans.context;
      return spans;
    },
    finish(ctx, spans) {
      if (spans) endSpans(ctx, spans);
    },
  };
}

/**
 * Spans as a wrapping middleware that also makes the span the active one
 * (`context.with`), for `tracing.asyncContext: true`.
 */
export function tracingMiddleware(source: TracerSource = globalTracerSource()): ServerMiddleware {
  return async (ctx, next) => {
    const spans = startSpans(source.tracer, ctx);
    if (!spans) return next();
    ctx.traceContext = spans.context;
    try {
      await context.with(spans.context, next);
    } finally {
      endSpans(ctx, spans);
    }
  };
}

export interface TracingHandle {
  /** The tracer of the installed SDK (undefined: use the global API). */
  tracer: Tracer | undefined;
  shutdown(): Promise<void>;
}

/** Installs the SDK with an OTLP/HTTP exporter (loaded only when tracing is enabled). */
export async function startTracing(config: TracingSettings): Promise<TracingHandle> {
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
