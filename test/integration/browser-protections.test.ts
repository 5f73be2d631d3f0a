/**
 * Browser-facing protections over real HTTP: CORS only for listed origins,
 * cross-site and rebinding requests refused, request-head size and slow-head
 * limits, and the per-address connection cap — each refusal leaving the tool
 * unexecuted.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import type { McpServer } from '../../src/index.js';
import { sampleValue, scrape, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { statelessPost } from '../helpers/server.js';

const T = { timeout: 10_000 };
const ALLOWED = 'https://app.example.com';
let executed = 0;

function register(server: McpServer) {
  server.tool({ name: 'echo', description: 'echo', input: z.object({ text: z.string() }), handler: ({ text }) => (executed++, text) });
}

/** Sends raw bytes and collects everything the server answers until it closes (or the timeout). */
function raw(port: number, bytes: string, timeoutMs = 3_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(bytes);
  });
}

const echoBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } });

describe('CORS and Origin', () => {
  let app: StartedMcpd;
  before(async () => {
    app = await startMcpd(testConfig({ http: { allowedOrigins: [ALLOWED], corsMaxAgeSec: 120 } }), { register });
  });
  after(() => app?.shutdown());

  test('a preflight from a listed origin is answered with the allowed methods and the requested MCP headers', T, async () => {
    const response = await fetch(app.url, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization, mcp-protocol-version, mcp-method, mcp-name, mcp-param-region',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(response.headers.get('access-control-allow-headers') ?? '', /mcp-param-region/);
    assert.equal(response.headers.get('access-control-max-age'), '120');
    assert.equal(response.headers.get('access-control-allow-credentials'), null, 'credentials travel in headers, never cookies');
  });

  test('a preflight asking for a header MCP does not use gets no permission', T, async () => {
    const response = await fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-evil' },
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });

  test('an actual request from a listed origin carries Access-Control-Allow-Origin and exposes Mcp-Session-Id', T, async () => {
    executed = 0;
    const response = await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }, { origin: ALLOWED });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /mcp-session-id/);
    assert.equal(executed, 1);
  });

  test('a cross-site Origin is refused with 403 before anything runs, preflight or not', T, async () => {
    executed = 0;
    const preflight = await fetch(app.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
    const response = await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }, { origin: 'https://evil.example' });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(executed, 0);
  });

  test('a Host of evil.example (DNS rebinding) is refused', T, async () => {
    executed = 0;
    const port = new URL(app.url).port;
    const { text } = await raw(
      Number(port),
      `POST /mcp HTTP/1.1\r\nHost: evil.example:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(echoBody)}\r\n\r\n${echoBody}`,
    );
    assert.match(text, /^HTTP\/1\.1 403/);
    assert.match(text, /Invalid Host/);
    assert.equal(executed, 0);
  });

  test('without listed origins, no response carries CORS permissions', T, async () => {
    const plain = await startMcpd(testConfig(), { register });
    try {
      const preflight = await fetch(plain.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 403);
      assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      await preflight.arrayBuffer();
    } finally {
      await plain.shutdown();
    }
  });
});

describe('request head limits', () => {
  let app: StartedMcpd;
  before(async () => {
    app = await startMcpd(testConfig({ http: { maxHeaderBytes: 4096, headersTimeoutMs: 400 } }), { register });
  });
  after(() => app?.shutdown());

  test('a request head larger than http.maxHeaderBytes gets 431 and nothing runs', T, async () => {
    executed = 0;
    const port = Number(new URL(app.url).port);
    const { text } = await raw(
      port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Padding: ${'a'.repeat(8192)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(echoBody)}\r\n\r\n${echoBody}`,
    );
    assert.match(text, /^HTTP\/1\.1 431/);
    assert.equal(executed, 0);
  });

  test('a client that never finishes its request head is disconnected after http.headersTimeoutMs', T, async () => {
    const port = Number(new URL(app.url).port);
    const started = Date.now();
    const { closed, text } = await raw(port, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `, 5_000);
    assert.equal(closed, true, 'the server closed the slow connection');
    assert.ok(Date.now() - started < 5_000);
    assert.match(text, /^(HTTP\/1\.1 408|)/);
  });
});

describe('per-address connection cap', () => {
  let app: StartedMcpd;
  const sockets: Socket[] = [];
  before(async () => {
    app = await startMcpd(testConfig({ http: { maxConnectionsPerIp: 3 } }), { register });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await app?.shutdown();
  });

  test('the connection over the cap gets 503 and is closed; a freed slot admits again', T, async () => {
    executed = 0;
    const port = Number(new URL(app.url).port);
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      sockets.push(socket);
    }
    // Let the server count the three before the fourth arrives.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const request = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2026-07-28\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(echoBody)}\r\n\r\n${echoBody}`;
    const refused = await raw(port, request);
    assert.match(refused.text, /^HTTP\/1\.1 503/);
    assert.match(refused.text, /Too many connections/);
    assert.equal(refused.closed, true);
    assert.equal(executed, 0, 'the request on the refused connection never ran');

    const metrics = await scrape(app.origin).catch(() => undefined);
    // The scrape itself needs a slot: it is refused too while three are held.
    assert.equal(metrics === undefined || metrics.status === 503, true);

    sockets.pop()!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { samples } = await scrape(app.origin);
    assert.ok((sampleValue(samples, 'mcp_overload_rejections_total', { reason: 'connections' }) ?? 0) >= 1);
  });
});
