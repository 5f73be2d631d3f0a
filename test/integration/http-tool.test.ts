/**
 * The http_request tool against real local HTTP servers (loopback, allowed by
 * explicit test config — the defaults refuse it): body kinds, retries and
 * backoff bounds, Retry-After, the circuit breaker's transitions, the cache
 * and no-store, the body cap on an endless body, slow headers, cancellation
 * mid-download, redirects with operator headers and credentials kept to
 * their origin.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { memoryLogger, scrape, sampleValue, parsePrometheus, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { statelessPost } from '../helpers/server.js';

const T = { timeout: 30_000 };
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

interface Upstream {
  server: Server;
  origin: string;
  port: number;
  hits: Map<string, number>;
  seen: { path: string; headers: IncomingMessage['headers'] }[];
  closedMidBody: number;
}

function upstream(): Promise<Upstream> {
  const hits = new Map<string, number>();
  const seen: Upstream['seen'] = [];
  const state = { closedMidBody: 0 };
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const count = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, count);
    seen.push({ path: url.pathname, headers: request.headers });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(value));
    };
    switch (url.pathname) {
      case '/json':
        return json(200, { hello: 'world', n: [1, 2, 3] }, { etag: '"v1"', 'x-internal': 'hidden' });
      case '/html':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return response.end('<html><head><title>T</title><script>evil()</script></head><body><h1>Title</h1><p>Some <a href="/next">link</a>.</p></body></html>');
      case '/image.png':
        response.writeHead(200, { 'content-type': 'image/png' });
        return response.end(PNG);
      case '/flaky':
        return count <= 2 ? json(503, { error: 'busy' }) : json(200, { ok: true, attempt: count });
      case '/retry-after':
        return count === 1 ? json(429, { error: 'slow down' }, { 'retry-after': '1' }) : json(200, { ok: true });
      case '/down':
        return json(500, { error: 'broken' });
      case '/cached':
        return json(200, { count }, { 'cache-control': 'max-age=60' });
      case '/no-store':
        return json(200, { count }, { 'cache-control': 'no-store' });
      case '/echo-headers':
        return json(200, request.headers);
      case '/endless': {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16 * 1024, 1);
        const pump = () => {
          while (response.write(chunk)) if (response.destroyed) return;
        };
        response.on('drain', pump);
        pump();
        return;
      }
      case '/slow-headers':
        return; // never answers
      case '/slow-body': {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('first part…');
        response.on('close', () => {
          if (!response.writableEnded) state.closedMidBody++;
        });
        return; // never ends
      }
      case '/redirect':
        response.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/json' });
        return response.end();
      case '/loop':
        response.writeHead(302, { location: '/loop' });
        return response.end();
      default:
        return json(404, { error: 'not found' });
    }
  };
  const server = createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        origin: `http://127.0.0.1:${port}`,
        hits,
        seen,
        get closedMidBody() {
          return state.closedMidBody;
        },
      } as Upstream);
    }),
  );
}

/** A server that only counts connections (none must arrive). */
function upstreamOn(host: string): Promise<{ server: Server; port: number; connections: number }> {
  const server = createServer((_request, response) => response.end('reached'));
  const state = { server, port: 0, connections: 0 };
  server.on('connection', () => state.connections++);
  return new Promise((resolve) => server.listen(0, host, () => resolve(Object.assign(state, { port: (server.address() as AddressInfo).port }))));
}

async function call(url: string, args: Record<string, unknown>) {
  const response = await statelessPost(url, 'tools/call', { name: 'http_request', arguments: args });
  assert.equal(response.status, 200, JSON.stringify(response.json));
  const result = response.json.result ?? {};
  return { result, error: response.json.error, structured: result.structuredContent, text: (result.content?.[0]?.text ?? '') as string, isError: result.isError === true };
}

describe('http_request against local servers', () => {
  let a: Upstream;
  let b: Upstream;
  let recording: Awaited<ReturnType<typeof upstreamOn>>;
  let app: StartedMcpd;
  const logs = memoryLogger('debug');

  before(async () => {
    a = await upstream();
    b = await upstream();
    // Its port is allowed, so only the address check can keep a redirect away from it.
    recording = await upstreamOn('127.0.0.2');
    app = await startMcpd(
      testConfig({
        httpRequests: {
          allowPrivateNetworks: ['127.0.0.1/32'],
          allowedPorts: [a.port, b.port, recording.port],
          hosts: { '127.0.0.1': { headers: { 'x-operator': 'from-config' } } },
          hostSecrets: { '127.0.0.1': { 'x-api-key': 'sekret-value-123' }, 'api.example.com': { authorization: 'Bearer never-in-clear' } },
          maxResponseBytes: 64 * 1024,
          headersTimeoutMs: 400,
          bodyTimeoutMs: 5_000,
          retry: { baseDelayMs: 50, maxDelayMs: 2_000 },
          breaker: { failureThreshold: 3, halfOpenAfterMs: 400 },
        },
      }),
      { logger: logs.logger },
    );
  });
  after(async () => {
    await app?.shutdown();
    a?.server.closeAllConnections();
    b?.server.closeAllConnections();
    await Promise.all([a, b, recording].map((up) => up && new Promise((resolve) => up.server.close(resolve))));
  });

  test('JSON arrives parsed, with selected headers only, also as structuredContent', T, async () => {
    const { structured, text, isError } = await call(app.url, { url: `${a.origin}/json`, query: { q: 'x y' } });
    assert.equal(isError, false, text);
    assert.equal(structured.status, 200);
    assert.deepEqual(structured.body, { kind: 'json', json: { hello: 'world', n: [1, 2, 3] } });
    assert.equal(structured.headers.etag, '"v1"');
    assert.equal(structured.headers['x-internal'], undefined);
    assert.equal(structured.url, `${a.origin}/json?q=x+y`);
    assert.match(text, /^HTTP 200 /);
  });

  test('HTML is reduced to readable text (links kept, scripts gone); raw on request; images come as image content', T, async () => {
    const html = await call(app.url, { url: `${a.origin}/html` });
    assert.equal(html.structured.body.kind, 'html');
    assert.match(html.structured.body.text, /TITLE|Title/);
    assert.match(html.structured.body.text, /\/next/);
    assert.doesNotMatch(html.structured.body.text, /evil\(\)|<p>/);
    const raw = await call(app.url, { url: `${a.origin}/html`, html: 'raw' });
    assert.match(JSON.stringify(raw.structured.body), /<p>Some/);
    const image = await call(app.url, { url: `${a.origin}/image.png` });
    assert.equal(image.structured.body.kind, 'binary');
    const block = image.result.content.find((item: { type: string }) => item.type === 'image');
    assert.equal(block.mimeType, 'image/png');
    assert.deepEqual(Buffer.from(block.data, 'base64'), PNG);
  });

  test('operator headers and secrets are sent for their host, never shown to the agent or logged', T, async () => {
    const { structured } = await call(app.url, { url: `${a.origin}/echo-headers`, headers: { Accept: 'application/json' } });
    assert.equal(structured.body.json['x-operator'], 'from-config');
    assert.equal(structured.body.json['x-api-key'], 'sekret-value-123');
    assert.equal(structured.body.json['user-agent'], 'mcpd-http/1');
    assert.equal(structured.body.json.accept, 'application/json');
    // (the echo server shows them back; the tool's own description and errors never do)
    const listed = await statelessPost(app.url, 'tools/list');
    assert.doesNotMatch(JSON.stringify(listed.json), /sekret-value-123/);
    assert.doesNotMatch(logs.text(), /sekret-value-123/);
  });

  test('credentials configured for a host are never sent over plain http (except to loopback): the call is refused', T, async () => {
    const { isError, text } = await call(app.url, { url: `http://api.example.com:${a.port}/` });
    assert.equal(isError, true);
    assert.match(text, /^PERMISSION_DENIED: Credentials configured for api\.example\.com are sent only over https/);
  });

  test('framing headers cannot be set by the caller; a header undici cannot send is a validation error', T, async () => {
    const { isError, text } = await call(app.url, { url: `${a.origin}/json`, headers: { Host: 'evil.example' } });
    assert.equal(isError, true);
    assert.match(text, /^VALIDATION_ERROR: Header Host is set by the server/);
    const badName = await call(app.url, { url: `${a.origin}/json`, headers: { 'bad header': 'x' } });
    assert.equal(badName.isError, true);
    assert.match(badName.text, /^VALIDATION_ERROR: /);
    const injected = await call(app.url, { url: `${a.origin}/json`, headers: { 'x-a': 'ok\r\nInjected: yes' } });
    assert.match(injected.text, /^VALIDATION_ERROR: Header x-a contains a line break/);
  });

  test('idempotent requests are retried on 503 with backoff; a POST is not', T, async () => {
    const get = await call(app.url, { url: `${a.origin}/flaky`, retries: 3 });
    assert.equal(get.structured.status, 200);
    assert.equal(get.structured.attempts, 3);
    a.hits.set('/flaky', 0);
    const post = await call(app.url, { method: 'POST', url: `${a.origin}/flaky`, json: { x: 1 }, retries: 3 });
    assert.equal(post.structured.status, 503, 'a non-idempotent request is answered as it came');
    assert.equal(post.structured.attempts, 1);
  });

  test('Retry-After is honoured (the second attempt comes after the announced second, bounded by maxDelayMs)', T, async () => {
    const started = Date.now();
    const { structured } = await call(app.url, { url: `${a.origin}/retry-after`, retries: 1 });
    const elapsed = Date.now() - started;
    assert.equal(structured.status, 200);
    assert.equal(structured.attempts, 2);
    assert.ok(elapsed >= 950, `waited ${elapsed} ms for Retry-After: 1`);
    assert.ok(elapsed < 2_500 + 1_000, `waited ${elapsed} ms, beyond maxDelayMs`);
  });

  test('the circuit opens after consecutive failures (no request reaches the host), half-opens after the wait, closes again', T, async () => {
    for (let i = 0; i < 3; i++) assert.equal((await call(app.url, { url: `${b.origin}/down`, retries: 0 })).structured.status, 500);
    const reached = b.hits.get('/down');
    const open = await call(app.url, { url: `${b.origin}/json`, retries: 0 });
    assert.equal(open.isError, true);
    assert.match(open.text, /^UPSTREAM_ERROR: Circuit open for 127\.0\.0\.1:\d+.*retry after \d+ s/);
    assert.equal(b.hits.get('/down'), reached);
    assert.equal(b.hits.get('/json'), undefined, 'nothing reached the host while the circuit was open');
    const metrics = parsePrometheus((await scrape(app.origin)).text);
    assert.equal(sampleValue(metrics.samples, 'http_client_circuits', { state: 'open' }), 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const trial = await call(app.url, { url: `${b.origin}/json`, retries: 0 });
    assert.equal(trial.structured.status, 200, 'the half-open trial went through');
    assert.equal((await call(app.url, { url: `${b.origin}/json`, retries: 0 })).structured.status, 200, 'closed again');
  });

  test('GET responses are cached when asked; no-store is never kept', T, async () => {
    const first = await call(app.url, { url: `${a.origin}/cached`, cacheTtlMs: 10_000 });
    const second = await call(app.url, { url: `${a.origin}/cached`, cacheTtlMs: 10_000 });
    assert.deepEqual(first.structured.body.json, { count: 1 });
    assert.deepEqual(second.structured.body.json, { count: 1 });
    assert.equal(second.structured.cached, true);
    assert.equal(a.hits.get('/cached'), 1);
    await call(app.url, { url: `${a.origin}/no-store`, cacheTtlMs: 10_000 });
    const again = await call(app.url, { url: `${a.origin}/no-store`, cacheTtlMs: 10_000 });
    assert.deepEqual(again.structured.body.json, { count: 2 });
    assert.equal(again.structured.cached, undefined);
    // Another rendering of HTML, other caller headers, or a caller wanting fresher data: not the cached answer.
    const raw = await call(app.url, { url: `${a.origin}/cached`, cacheTtlMs: 10_000, html: 'raw' });
    assert.equal(raw.structured.cached, undefined);
    const otherHeaders = await call(app.url, { url: `${a.origin}/cached`, cacheTtlMs: 10_000, headers: { 'x-api-key': 'caller-b' } });
    assert.equal(otherHeaders.structured.cached, undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const fresher = await call(app.url, { url: `${a.origin}/cached`, cacheTtlMs: 100 });
    assert.equal(fresher.structured.cached, undefined, 'an entry older than this caller’s cacheTtlMs is not served');
    const metrics = parsePrometheus((await scrape(app.origin)).text);
    assert.ok((sampleValue(metrics.samples, 'mcp_cache_hits_total', { cache: 'http' }) ?? 0) >= 1);
    assert.ok((sampleValue(metrics.samples, 'mcp_cache_misses_total', { cache: 'http' }) ?? 0) >= 3);
  });

  test('an endless body stops at the cap, flagged truncated', T, async () => {
    const { structured, isError, text } = await call(app.url, { url: `${a.origin}/endless` });
    assert.equal(isError, false, text);
    assert.equal(structured.truncated, true);
    assert.equal(structured.bytes, 64 * 1024);
  });

  test('a server that never sends headers: TIMEOUT after headersTimeoutMs', T, async () => {
    const { isError, text } = await call(app.url, { url: `${a.origin}/slow-headers`, retries: 0 });
    assert.equal(isError, true);
    assert.match(text, /^TIMEOUT: .*no response headers within 400 ms/);
  });

  test('the whole call is bounded by timeoutMs', T, async () => {
    const { isError, text } = await call(app.url, { url: `${a.origin}/slow-body`, timeoutMs: 300 });
    assert.equal(isError, true);
    assert.match(text, /^TIMEOUT: .*did not answer within 300 ms/);
  });

  test('cancellation mid-download closes the upstream connection', T, async () => {
    const client = new Client({ name: 'http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(app.url)), { timeout: 5_000 });
    try {
      const before = a.closedMidBody;
      const controller = new AbortController();
      const pending = client.callTool({ name: 'http_request', arguments: { url: `${a.origin}/slow-body` } }, { signal: controller.signal, timeout: 20_000 });
      setTimeout(() => controller.abort('user cancelled'), 300);
      await assert.rejects(pending, /user cancelled/);
      for (let waited = 0; a.closedMidBody === before && waited < 5_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(a.closedMidBody, before + 1);
    } finally {
      await client.close();
    }
  });

  test('redirects are followed hop by hop; operator headers and caller credentials stay with their origin', T, async () => {
    const same = await call(app.url, { url: `${a.origin}/redirect?to=/echo-headers`, headers: { Authorization: 'Bearer agent-token' } });
    assert.equal(same.structured.status, 200);
    assert.deepEqual(same.structured.redirects, [`${a.origin}/echo-headers`]);
    assert.equal(same.structured.body.json.authorization, 'Bearer agent-token');
    assert.equal(same.structured.body.json['x-api-key'], 'sekret-value-123');

    const cross = await call(app.url, { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/echo-headers`)}`, headers: { Authorization: 'Bearer agent-token' } });
    assert.equal(cross.structured.status, 200);
    assert.equal(cross.structured.url, `${b.origin}/echo-headers`);
    assert.equal(cross.structured.body.json.authorization, undefined, 'caller credentials dropped on a cross-origin hop');
    assert.equal(cross.structured.body.json['x-api-key'], undefined, 'operator secrets dropped on a cross-origin hop');
    assert.equal(cross.structured.body.json['x-operator'], undefined);

    const loop = await call(app.url, { url: `${a.origin}/loop` });
    assert.equal(loop.isError, true);
    assert.match(loop.text, /^UPSTREAM_ERROR: Too many redirects/);

    const scheme = await call(app.url, { url: `${a.origin}/redirect?to=${encodeURIComponent('file:///etc/passwd')}` });
    assert.equal(scheme.isError, true);
    assert.match(scheme.text, /^VALIDATION_ERROR: /);

    // Each hop is vetted like the first: a redirect into a private or metadata address, or to a port not
    // allowed, is refused before any connection (the recording server on 127.0.0.2 sees none).
    for (const target of [`http://127.0.0.2:${recording.port}/x`, 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:80/', `http://10.0.0.1:${a.port}/`, `${b.origin.replace(String(b.port), '1')}/`]) {
      const refused = await call(app.url, { url: `${a.origin}/redirect?to=${encodeURIComponent(target)}` });
      assert.equal(refused.isError, true, target);
      assert.match(refused.text, /^PERMISSION_DENIED: /, target);
    }
    assert.equal(recording.connections, 0, 'no hop reached a private address');

    const seeOther = await call(app.url, { method: 'POST', url: `${a.origin}/redirect?status=303&to=/echo-headers`, json: { a: 1 } });
    assert.equal(seeOther.structured.status, 200);
    assert.equal(seeOther.structured.body.json['content-type'], undefined, '303 continues as a GET without the body');
  });
});

describe('http_request with the default (blocking) configuration', () => {
  let a: Upstream;
  let app: StartedMcpd;
  before(async () => {
    a = await upstream();
    app = await startMcpd(testConfig({ httpRequests: { allowedPorts: [a.port], methods: ['GET', 'HEAD'] } }));
  });
  after(async () => {
    await app?.shutdown();
    await new Promise((resolve) => a?.server.close(resolve));
  });

  test('a loopback server is refused before any request reaches it; only the allowed methods are offered', T, async () => {
    const { isError, text } = await call(app.url, { url: `${a.origin}/json` });
    assert.equal(isError, true);
    assert.match(text, /^PERMISSION_DENIED: /);
    assert.equal(a.seen.length, 0);
    const listed = await statelessPost(app.url, 'tools/list');
    const tool = listed.json.result.tools.find((entry: { name: string }) => entry.name === 'http_request');
    assert.deepEqual(tool.inputSchema.properties.method.enum, ['GET', 'HEAD']);
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.equal(tool.annotations.destructiveHint, false);
    const post = await call(app.url, { method: 'POST', url: `${a.origin}/json` });
    assert.ok(post.isError || post.error, 'POST is not accepted');
  });
});
