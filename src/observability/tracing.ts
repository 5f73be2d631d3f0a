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
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import type { McpdConfig } from '../chassis/config/index.js';
import type { ServerMiddleware } from '../protocol/engine.js';
import type { RequestContext } from '../protocol/context.js';

const tracer = trace.getTracer('mcpd');

/** Reads W3C trace context from `_meta` first (2026-07-28), then HTTP headers. */
const carrierGetter: TextMapGetter<RequestContext> = {
  keys: () => ['traceparent', 'tracestate'],
  get(ctx, key) {
    const fromMeta = ctx.meta[key];
    if (typeof fromMeta === 'string') return fromMeta;
    return ctx.exchange.header?.(key);
  },
};

export function tracingMiddleware(): ServerMiddleware {
  return async (ctx, next) => {
    const parent: Context = propagation.extract(context.active(), ctx, carrierGetter);
    const target = ctx.method === 'tools/call' || ctx.method === 'prompts/get' ? ctx.params.name : ctx.method === 'resources/read' ? ctx.params.uri : undefined;
    const name = typeof target === 'string' ? `${ctx.method} ${target}` : ctx.method;
    const span = tracer.startSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': ctx.method,
          'jsonrpc.request.id': String(ctx.id),
          'network.transport': ctx.transport === 'stdio' ? 'pipe' : 'tcp',
          ...(ctx.session ? { 'mcp.session.id': ctx.session.id } : {}),
          ...(ctx.protocolVersion ? { 'mcp.protocol.version': ctx.protocolVersion } : {}),
          ...(ctx.method === 'tools/call' && typeof target === 'string' ? { 'gen_ai.tool.name': target, 'gen_ai.operation.name': 'execute_tool' } : {}),
        },
      },
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    try {
      if (ctx.method === 'tools/call' && typeof target === 'string') {
        const toolSpan = tracer.startSpan(`execute_tool ${target}`, { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.tool.name': target } }, spanContext);
        try {
          await context.with(trace.setSpan(spanContext, toolSpan), next);
          const result = ctx.result as { isError?: boolean } | undefined;
          if (result?.isError) toolSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'tool error' });
        } finally {
          toolSpan.end();
        }
      } else {
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
  shutdown(): Promise<void>;
}

/** Installs the SDK with an OTLP/HTTP exporter (loaded only when tracing is enabled). */
export async function startTracing(config: McpdConfig['tracing']): Promise<TracingHandle> {
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
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
