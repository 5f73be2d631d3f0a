/**
 * OpenTelemetry traces exported over OTLP/HTTP to a local collector: a SERVER
 * span per request continuing the caller's trace (traceparent header, or
 * `_meta.traceparent` in 2026-07-28), an `execute_tool` child, and spans a tool
 * starts nest under it.
 *
 * The SDK registers global providers: this file runs alone in its process (the
 * runner gives each file one), and after() disables the globals again.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { context, propagation, trace, type Context } from '@opentelemetry/api';
import { initializeSession, sessionPost } from '../helpers/http.js';
import { statelessPost } from '../helpers/server.js';
import { randomHex, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';

const T = { timeout: 15_000 } as const;
const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_SERVER = 2;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

/** A minimal OTLP/HTTP collector: records the JSON bodies POSTed to /v1/traces. */
async function startCollector(): Promise<{ server: Server; endpoint: string; bodies: any[]; spans(): (OtlpSpan & { service?: string })[] }> {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        bodies.push(JSON.parse(raw.toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    bodies,
    spans: () =>
      bodies.flatMap((body) =>
        (body.resourceSpans ?? []).flatMap((resourceSpans: any) => {
          const service = resourceSpans.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue;
          return (resourceSpans.scopeSpans ?? []).flatMap((scope: any) => (scope.spans ?? []).map((span: OtlpSpan) => ({ ...span, service })));
        }),
      ),
  };
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

function restoreGlobals(): void {
  trace.disable();
  propagation.disable();
  context.disable();
}

describe('tracing to a local OTLP/HTTP collector', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let app: StartedMcpd;
  const header = { traceId: randomHex(16), parentId: randomHex(8) };
  const meta = { traceId: randomHex(16), parentId: randomHex(8) };
  const session = { traceId: randomHex(16), parentId: randomHex(8) };
  let sessionId = '';
  let spans: (OtlpSpan & { service?: string })[] = [];

  before(async () => {
    collector = await startCollector();
    // asyncContext: the tool span is the active one inside handlers (trace.getTracer(...).startSpan() nests).
    const tracing = { enabled: true, otlpEndpoint: collector.endpoint, serviceName: 'mcpd-trace-test', asyncContext: true };
    app = await startMcpd(testConfig({ tracing }), {
      register(server) {
        server.tool({
          name: 'traced',
          handler(_args, ctx) {
            const span = trace.getTracer('test').startSpan('inner work');
            span.setAttribute('test.inner', true);
            span.end();
            // The explicit parent works whether or not a context manager is installed.
            trace.getTracer('test').startSpan('explicit child', {}, ctx.traceContext as Context).end();
            return 'traced';
          },
        });
      },
    });
    const viaHeader = await statelessPost(app.url, 'tools/call', { name: 'traced', arguments: {} }, { traceparent: `00-${header.traceId}-${header.parentId}-01` });
    assert.equal(viaHeader.json.result.content[0].text, 'traced');
    const viaMeta = await statelessPost(app.url, 'tools/call', { name: 'traced', arguments: {}, _meta: { traceparent: `00-${meta.traceId}-${meta.parentId}-01` } });
    assert.equal(viaMeta.json.result.content[0].text, 'traced');
    ({ sessionId } = await initializeSession(app.url));
    const viaSession = await sessionPost(app.url, sessionId, { id: 9, method: 'tools/call', params: { name: 'traced', arguments: {} } }, { traceparent: `00-${session.traceId}-${session.parentId}-01` });
    assert.equal(viaSession.json.result.content[0].text, 'traced');
    await statelessPost(app.url, 'tools/call', { name: 'no_such_tool', arguments: {} });
    // Shutdown flushes the batch processor to the collector before it resolves.
    await app.shutdown();
    spans = collector.spans();
  });

  after(async () => {
    await app?.shutdown();
    restoreGlobals();
    await new Promise<void>((resolve) => collector?.server.close(() => resolve()));
  });

  const serverSpanOf = (traceId: string) => spans.find((span) => span.traceId === traceId && span.name === 'tools/call traced');

  test('shutdown flushed spans to the collector, with the service name', T, () => {
    assert.ok(collector.bodies.length > 0, 'the collector received OTLP requests');
    assert.ok(spans.length >= 9, `spans received: ${spans.map((s) => s.name).join(', ')}`);
    assert.ok(spans.every((span) => span.service === 'mcpd-trace-test'));
  });

  test('traceparent header: a SERVER span `tools/call <tool>` continuing the caller trace', T, () => {
    const span = serverSpanOf(header.traceId);
    assert.ok(span, `no server span in trace ${header.traceId}: ${JSON.stringify(spans.map((s) => [s.name, s.traceId]))}`);
    assert.equal(span.kind, SPAN_KIND_SERVER);
    assert.equal(span.parentSpanId, header.parentId);
    assert.equal(attribute(span, 'mcp.method.name'), 'tools/call');
    assert.equal(attribute(span, 'gen_ai.tool.name'), 'traced');
    assert.equal(attribute(span, 'mcp.protocol.version'), '2026-07-28');
  });

  test('an `execute_tool <tool>` child, and a span started in the handler nests under it', T, () => {
    for (const traceId of [header.traceId, meta.traceId, session.traceId]) {
      const server = serverSpanOf(traceId)!;
      assert.ok(server, `server span in ${traceId}`);
      const tool = spans.find((span) => span.traceId === traceId && span.name === 'execute_tool traced');
      assert.ok(tool, `execute_tool span in ${traceId}`);
      assert.equal(tool.parentSpanId, server.spanId);
      assert.equal(tool.kind, SPAN_KIND_INTERNAL);
      assert.equal(attribute(tool, 'gen_ai.tool.name'), 'traced');
      const inner = spans.find((span) => span.traceId === traceId && span.name === 'inner work');
      assert.ok(inner, `the handler's span in ${traceId}`);
      assert.equal(inner.parentSpanId, tool.spanId, 'trace.getTracer(...).startSpan() in a handler is a child of the tool span');
      assert.equal(attribute(inner, 'test.inner'), true);
      const explicit = spans.find((span) => span.traceId === traceId && span.name === 'explicit child');
      assert.equal(explicit?.parentSpanId, tool.spanId, 'a span parented on ctx.traceContext is a child of the tool span');
    }
  });

  test('2026 _meta.traceparent (no header) parents the SERVER span', T, () => {
    const span = serverSpanOf(meta.traceId);
    assert.ok(span);
    assert.equal(span.kind, SPAN_KIND_SERVER);
    assert.equal(span.parentSpanId, meta.parentId);
  });

  test('2025 session requests carry mcp.session.id', T, () => {
    const span = serverSpanOf(session.traceId);
    assert.ok(span);
    assert.equal(span.parentSpanId, session.parentId);
    assert.equal(attribute(span, 'mcp.session.id'), sessionId);
    const init = spans.find((s) => s.name === 'initialize');
    assert.ok(init, 'initialize has a span (a new root trace)');
    assert.equal(init.parentSpanId || undefined, undefined);
  });

  test('a failed request marks its span as an error', T, () => {
    const failed = spans.find((span) => span.name === 'tools/call no_such_tool');
    assert.ok(failed);
    assert.equal(failed.status?.code, 2, 'STATUS_CODE_ERROR');
    assert.equal(typeof attribute(failed, 'error.type'), 'string');
  });

  test('after shutdown the global tracer provider is disabled', T, () => {
    const span = trace.getTracer('after').startSpan('noop');
    assert.equal(span.isRecording(), false);
    span.end();
  });
});

describe('tracing in a second mcpd in the same process', () => {
  after(() => restoreGlobals());

  test('a new mcpd with tracing exports its spans after an earlier one shut down', T, async () => {
    const collector = await startCollector();
    try {
      const traceId = randomHex(16);
      const app = await startMcpd(testConfig({ tracing: { enabled: true, otlpEndpoint: collector.endpoint } }), {
        register(server) {
          server.tool({ name: 'again', handler: () => 'again' });
        },
      });
      await statelessPost(app.url, 'tools/call', { name: 'again', arguments: {} }, { traceparent: `00-${traceId}-${randomHex(8)}-01` });
      await app.shutdown();
      const names = collector.spans().map((span) => span.name);
      assert.ok(names.includes('tools/call again'), `spans exported by the second instance: ${JSON.stringify(names)}`);
    } finally {
      await new Promise<void>((resolve) => collector.server.close(() => resolve()));
    }
  });
});
