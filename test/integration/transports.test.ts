/**
 * The transports other than Streamable HTTP: stdio (the official SDK client
 * spawning the built echo fixture, plus a raw check that stdout carries only
 * JSON-RPC), the 2024-11-05 HTTP+SSE transport, and WebSocket (raw `ws`, since
 * the v1 SDK with its WebSocketClientTransport is not installed).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { CallToolResultSchema, JSONRPCMessageSchema, ListToolsResultSchema } from '@modelcontextprotocol/core';
import { buildEchoServer } from '../../src/fixtures/echo-server.js';
import { WsPeer } from '../helpers/ws.js';
import { startFixture, STATELESS_META, type RunningServer } from '../helpers/server.js';
import { rawRequest, sseEvents, waitFor } from '../helpers/http.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ECHO_SERVER = fileURLToPath(new URL('../../dist/bin/echo-server.js', import.meta.url));
const NOISY_SERVER = fileURLToPath(new URL('../helpers/stdio-noisy-server.mjs', import.meta.url));
const REQUEST = { timeout: 8_000 } as const;

const textOf = (result: { content?: unknown }): string =>
  ((result.content ?? []) as { type: string; text?: string }[])
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');

const INITIALIZE_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } };

describe('stdio: the official SDK client spawning dist/bin/echo-server.js', () => {
  before(() => {
    assert.ok(existsSync(ECHO_SERVER), `${ECHO_SERVER} exists (run npx tsc -p tsconfig.build.json first)`);
  });

  for (const mode of ['legacy', 'modern'] as const) {
    describe(mode === 'legacy' ? '2025-11-25 (initialize)' : '2026-07-28 (pinned)', () => {
      let client: Client;
      let transport: StdioClientTransport;
      let stderr = '';

      before(async () => {
        client = new Client(
          { name: 'mcpd-stdio-test', version: '1.0.0' },
          { versionNegotiation: mode === 'legacy' ? { mode: 'legacy' } : { mode: { pin: '2026-07-28' } } },
        );
        transport = new StdioClientTransport({
          command: process.execPath,
          args: [ECHO_SERVER],
          env: { ...getDefaultEnvironment(), MCPD_TRANSPORT: 'stdio' },
          cwd: ROOT,
          stderr: 'pipe',
        });
        transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        await client.connect(transport, { timeout: 8_000 });
      });

      after(async () => {
        await client?.close();
      });

      test('negotiates the era', { timeout: 10_000 }, () => {
        assert.equal(client.getProtocolEra(), mode);
        assert.equal(client.getNegotiatedProtocolVersion(), mode === 'legacy' ? '2025-11-25' : '2026-07-28');
        assert.ok(transport.pid !== null && transport.pid !== undefined, 'a child process was spawned');
      });

      test('lists tools', { timeout: 10_000 }, async () => {
        const result = await client.listTools(undefined, REQUEST);
        ListToolsResultSchema.parse(result);
        assert.deepEqual(
          result.tools.map((tool) => tool.name),
          ['echo'],
        );
        assert.deepEqual(result.tools[0]!.inputSchema.required, ['text']);
      });

      test('calls echo', { timeout: 10_000 }, async () => {
        const result = await client.callTool({ name: 'echo', arguments: { text: `over stdio (${mode})` } }, REQUEST);
        CallToolResultSchema.parse(result);
        assert.deepEqual(result.content, [{ type: 'text', text: `over stdio (${mode})` }]);
      });

      if (mode === 'legacy') {
        // A 300 KB line arrives in several pipe chunks; '€' is 3 bytes, so some chunk boundary splits one.
        test('echoes large non-ASCII text intact (UTF-8 split across stdin chunks)', { timeout: 10_000 }, async () => {
          const text = `start ${'€'.repeat(100_000)} end`;
          const result = await client.callTool({ name: 'echo', arguments: { text } }, REQUEST);
          const echoed = textOf(result);
          assert.ok(!echoed.includes('\uFFFD'), 'no U+FFFD replacement characters');
          assert.equal(echoed.length, text.length);
          assert.ok(echoed === text, 'the echo is byte-identical');
        });
      }

      test('bad arguments come back as a tool error', { timeout: 10_000 }, async () => {
        const result = await client.callTool({ name: 'echo', arguments: {} }, REQUEST);
        assert.equal(result.isError, true);
        assert.match(textOf(result), /^VALIDATION_ERROR/);
        assert.equal(stderr, '', 'a validation failure is not logged as an internal error');
      });
    });
  }
});

/** A raw line-oriented peer over a child's stdin/stdout that records every stdout byte. */
class StdioPeer {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private cursor = 0;
  private waiters: (() => void)[] = [];

  constructor(script: string) {
    this.child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, MCPD_TRANSPORT: 'stdio' }, stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Every complete stdout line so far. */
  get lines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }

  sendLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  send(message: Record<string, unknown>): void {
    this.sendLine(JSON.stringify({ jsonrpc: '2.0', ...message }));
  }

  /** Waits for the next stdout line satisfying the predicate (lines already consumed are skipped). */
  async next(predicate: (message: any) => boolean, timeoutMs = 5_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.lines;
      while (this.cursor < lines.length) {
        const line = lines[this.cursor++]!;
        let message: any;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        if (predicate(message)) return message;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching stdout line; stdout so far:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async request(id: number | string, method: string, params?: Record<string, unknown>): Promise<any> {
    this.cursor = 0;
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.next((message) => message.id === id && ('result' in message || 'error' in message));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Asserts stdout holds only newline-terminated lines, each one JSON-RPC 2.0 message. */
function assertOnlyJsonRpc(stdout: string): void {
  assert.ok(stdout.length > 0, 'the server wrote something');
  assert.ok(stdout.endsWith('\n'), 'stdout ends at a line boundary');
  for (const line of stdout.split('\n').slice(0, -1)) {
    let message: unknown;
    assert.doesNotThrow(() => (message = JSON.parse(line)), `stdout line is JSON: ${JSON.stringify(line)}`);
    const parsed = JSONRPCMessageSchema.safeParse(message);
    assert.ok(parsed.success, `stdout line is a JSON-RPC message: ${line}`);
  }
}

describe('stdio: stdout carries nothing but JSON-RPC', () => {
  let peer: StdioPeer;

  before(async () => {
    assert.ok(existsSync(`${ROOT}dist/index.js`), 'dist/index.js exists (run npx tsc -p tsconfig.build.json first)');
    peer = new StdioPeer(NOISY_SERVER);
    const init = await peer.request(1, 'initialize', INITIALIZE_PARAMS);
    assert.equal(init.result.protocolVersion, '2025-11-25');
    peer.send({ method: 'notifications/initialized' });
    const level = await peer.request(2, 'logging/setLevel', { level: 'info' });
    assert.deepEqual(level.result, {});
  });

  after(async () => {
    await peer?.stop();
  });

  test('a tool that logs and reports progress', { timeout: 10_000 }, async () => {
    peer.send({ id: 10, method: 'tools/call', params: { name: 'chatty', arguments: {}, _meta: { progressToken: 'p-10' } } });
    const response = await peer.next((m) => m.id === 10 && 'result' in m);
    assert.equal(textOf(response.result), 'chatty done');
    const logs = peer.lines.map((line) => JSON.parse(line)).filter((m) => m.method === 'notifications/message');
    assert.deepEqual(
      logs.map((m) => m.params.level),
      ['info', 'warning'],
      'debug is below the requested level',
    );
    assert.deepEqual(logs[1].params.data, { detail: 'structured log data', n: 1 });
    const progress = peer.lines.map((line) => JSON.parse(line)).filter((m) => m.method === 'notifications/progress');
    assert.deepEqual(progress[0]?.params, { progressToken: 'p-10', progress: 1, total: 2, message: 'half way' });
    await waitFor(() => peer.stderr.includes('chatty: a diagnostic line on stderr'), 3_000, 'the diagnostic line on stderr');
    assertOnlyJsonRpc(peer.stdout);
  });

  test('tools that throw, synchronously and asynchronously', { timeout: 10_000 }, async () => {
    const sync = await peer.request(20, 'tools/call', { name: 'explode', arguments: {} });
    CallToolResultSchema.parse(sync.result);
    assert.equal(sync.result.isError, true);
    assert.equal(textOf(sync.result), 'INTERNAL: Internal error');
    const asynchronous = await peer.request(21, 'tools/call', { name: 'explode_async', arguments: {} });
    assert.equal(asynchronous.result.isError, true);
    const protocol = await peer.request(22, 'tools/call', { name: 'explode_protocol', arguments: {} });
    assert.equal(protocol.error.code, -32603);
    assert.equal(protocol.error.message, 'Internal error', 'internal messages never leave the process');
    assert.ok(!peer.stdout.includes('kaboom'), 'error details stay off stdout');
    await waitFor(() => peer.stderr.includes('kaboom: secret internal detail'), 3_000, 'the cause reported on stderr');
    await waitFor(() => peer.stderr.includes('async kaboom'), 3_000, 'the async cause reported on stderr');
    assertOnlyJsonRpc(peer.stdout);
  });

  test('malformed input lines, bad arguments and unknown tools', { timeout: 10_000 }, async () => {
    peer.sendLine('{ this is not json');
    const parseError = await peer.next((m) => m.error?.code === -32700);
    assert.equal(parseError.jsonrpc, '2.0');
    peer.sendLine('[{"jsonrpc":"2.0","id":30,"method":"ping"}]');
    await peer.next((m) => m.error?.code === -32600 && /batch/i.test(m.error.message));
    const badArgs = await peer.request(31, 'tools/call', { name: 'echo', arguments: { text: 5 } });
    assert.equal(badArgs.result.isError, true);
    const unknown = await peer.request(32, 'tools/call', { name: 'nope', arguments: {} });
    assert.equal(unknown.error.code, -32602);
    const unknownMethod = await peer.request(33, 'no/such/method', {});
    assert.equal(unknownMethod.error.code, -32601);
    assertOnlyJsonRpc(peer.stdout);
  });

  test('a 2026-07-28 request on the same pipe (per-request envelope, log level in _meta)', { timeout: 10_000 }, async () => {
    const response = await peer.request(40, 'tools/call', {
      name: 'chatty',
      arguments: {},
      _meta: { ...STATELESS_META, 'io.modelcontextprotocol/logLevel': 'warning' },
    });
    assert.equal(response.result.resultType, 'complete');
    assert.equal(textOf(response.result), 'chatty done');
    const echo = await peer.request(41, 'tools/call', { name: 'echo', arguments: { text: 'modern' }, _meta: STATELESS_META });
    assert.equal(textOf(echo.result), 'modern');
    assertOnlyJsonRpc(peer.stdout);
  });

  test(
    'console.log inside a tool does not corrupt stdout',
    { timeout: 10_000 },
    async () => {
      const response = await peer.request(50, 'tools/call', { name: 'console_logger', arguments: {} });
      assert.equal(textOf(response.result), 'console written');
      assertOnlyJsonRpc(peer.stdout);
    },
  );
});

describe('legacy HTTP+SSE (2024-11-05 transport) at /sse', () => {
  let running: RunningServer;
  let client: Client;
  let base: URL;

  before(async () => {
    running = await startFixture({}, buildEchoServer);
    base = new URL(running.url);
    client = new Client({ name: 'mcpd-sse-test', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL('/sse', base)), { timeout: 5_000 });
  });

  after(async () => {
    await client?.close();
    await running?.close();
  });

  test('the SDK client initializes over SSE', { timeout: 10_000 }, () => {
    assert.equal(client.getProtocolEra(), 'legacy');
    assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
    assert.equal(client.getServerVersion()?.name, 'mcpd-echo');
  });

  test('lists tools and calls echo', { timeout: 10_000 }, async () => {
    const tools = await client.listTools(undefined, REQUEST);
    assert.deepEqual(
      tools.tools.map((tool) => tool.name),
      ['echo'],
    );
    const result = await client.callTool({ name: 'echo', arguments: { text: 'over legacy sse' } }, REQUEST);
    CallToolResultSchema.parse(result);
    assert.deepEqual(result.content, [{ type: 'text', text: 'over legacy sse' }]);
  });

  test('large non-ASCII text survives the SSE transport', { timeout: 10_000 }, async () => {
    const text = `start ${'€'.repeat(100_000)} end`;
    const result = await client.callTool({ name: 'echo', arguments: { text } }, REQUEST);
    assert.ok(textOf(result) === text);
  });

  test('GET /sse announces the POST endpoint first', { timeout: 10_000 }, async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5_000);
    try {
      const response = await fetch(new URL('/sse', base), { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
      const first = await sseEvents(response.body!).next();
      assert.equal(first.value?.event, 'endpoint');
      assert.match(first.value?.data ?? '', /^\/messages\?sessionId=[0-9a-f-]{36}$/);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  });

  test('POST /messages for an unknown session is 404', { timeout: 10_000 }, async () => {
    const response = await rawRequest(new URL('/messages?sessionId=00000000-0000-0000-0000-000000000000', base).href, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(response.status, 404);
    assert.equal(response.json.error.code, -32001);
  });
});


describe('WebSocket on the MCP path, subprotocol mcp (raw ws client)', () => {
  let running: RunningServer;
  let wsUrl: string;
  let peer: WsPeer;

  before(async () => {
    running = await startFixture({}, buildEchoServer);
    wsUrl = running.url.replace(/^http/, 'ws');
    peer = await WsPeer.open(wsUrl);
  });

  after(async () => {
    await peer?.close();
    await running?.close();
  });

  test('negotiates the mcp subprotocol and opens a session', { timeout: 10_000 }, async () => {
    assert.equal(peer.ws.protocol, 'mcp');
    const init = await peer.request(1, 'initialize', INITIALIZE_PARAMS);
    assert.equal(init.result.protocolVersion, '2025-11-25');
    assert.equal(init.result.serverInfo.name, 'mcpd-echo');
    assert.ok(init.result.capabilities.tools);
    peer.send({ method: 'notifications/initialized' });
  });

  test('tools/list and tools/call echo', { timeout: 10_000 }, async () => {
    const list = await peer.request(2, 'tools/list', {});
    ListToolsResultSchema.parse(list.result);
    assert.deepEqual(
      list.result.tools.map((tool: { name: string }) => tool.name),
      ['echo'],
    );
    const call = await peer.request(3, 'tools/call', { name: 'echo', arguments: { text: 'over websocket' } });
    CallToolResultSchema.parse(call.result);
    assert.deepEqual(call.result.content, [{ type: 'text', text: 'over websocket' }]);
  });

  test('large non-ASCII text survives a WebSocket frame', { timeout: 10_000 }, async () => {
    const text = `start ${'€'.repeat(100_000)} end`;
    const call = await peer.request('big', 'tools/call', { name: 'echo', arguments: { text } });
    assert.ok(call.result.content[0].text === text);
  });

  test('a 2026-07-28 request with its envelope on the same socket', { timeout: 10_000 }, async () => {
    const call = await peer.request('modern-1', 'tools/call', { name: 'echo', arguments: { text: 'modern ws' }, _meta: STATELESS_META });
    assert.equal(call.result.resultType, 'complete');
    assert.equal(call.result.content[0].text, 'modern ws');
  });

  test('malformed frames get JSON-RPC errors and the socket stays open', { timeout: 10_000 }, async () => {
    peer.ws.send('not json at all');
    const parseError = await peer.next((m) => m.error?.code === -32700);
    assert.equal(parseError.jsonrpc, '2.0');
    const unknown = await peer.request(4, 'tools/call', { name: 'missing_tool', arguments: {} });
    assert.equal(unknown.error.code, -32602);
    const again = await peer.request(5, 'tools/list', {});
    assert.ok(Array.isArray(again.result.tools));
  });

  test('upgrades with a foreign Origin are refused (403)', { timeout: 10_000 }, async () => {
    await assert.rejects(WsPeer.open(wsUrl, { origin: 'http://evil.example' }), (error: { statusCode?: number }) => error.statusCode === 403);
  });

  test('upgrades on another path are refused (404)', { timeout: 10_000 }, async () => {
    await assert.rejects(WsPeer.open(wsUrl.replace(/\/mcp$/, '/elsewhere')), (error: { statusCode?: number }) => error.statusCode === 404);
  });

  test('closing the socket ends its session on the server', { timeout: 10_000 }, async () => {
    const sessions = running.server.engine.sessions;
    const extra = await WsPeer.open(wsUrl);
    const before = sessions.size;
    await extra.request(1, 'initialize', INITIALIZE_PARAMS);
    await extra.close();
    const deadline = Date.now() + 3_000;
    while (sessions.size >= before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(sessions.size, before - 1);
  });
});
