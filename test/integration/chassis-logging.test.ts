/**
 * Structured logs: one line per request with the correlation id (X-Request-Id,
 * else the trace id of traceparent), session, method, tool and duration;
 * handlers' ctx.logger lines carry the same fields; internal errors log their
 * stack but the client sees only "Internal error"; credentials are redacted;
 * in stdio mode stdout carries only protocol.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { initializeSession, sessionPost } from '../helpers/http.js';
import { statelessPost } from '../helpers/server.js';
import { memoryLogger, randomHex, startMcpd, testConfig, type MemoryLogger, type StartedMcpd } from '../helpers/chassis.js';
import { CLI, ENTRY, killAll, spawnChild, waitExit, type Child } from '../helpers/process.js';

const T = { timeout: 10_000 } as const;
/** What a generated correlation id looks like (the same alphabet X-Request-Id is accepted in). */
const GENERATED_ID = /^[\w.:/=+-]{8,128}$/;

describe('request logs over HTTP (in-process, pino to memory)', () => {
  let log: MemoryLogger;
  let app: StartedMcpd;

  before(async () => {
    log = memoryLogger('info');
    app = await startMcpd(testConfig({ logging: { level: 'info' } }), {
      logger: log.logger,
      register(server) {
        server.tool({
          name: 'echo',
          input: z.object({ text: z.string() }),
          handler({ text }, ctx) {
            ctx.logger.info({ step: 'inside' }, 'tool says hi');
            return text;
          },
        });
        server.tool({
          name: 'explode',
          handler() {
            throw new Error('kaboom: db at 10.1.2.3 refused user admin');
          },
        });
        server.tool({
          name: 'leaky',
          handler(_args, ctx) {
            ctx.logger.info({ password: 'x-password-value', token: 'y-token-value' }, 'leaky top-level');
            ctx.logger.info({ user: { password: 'x-nested-password', apiKey: 'y-nested-key' } }, 'leaky nested');
            return 'ok';
          },
        });
        server.tool({
          name: 'pay',
          input: z.object({ card: z.string(), amount: z.number() }),
          sensitive: ['card'],
          handler(args, ctx) {
            ctx.logger.info({ args, card: args.card }, 'paying');
            ctx.logger.info({ password: 'pw-in-sensitive-tool' }, 'still redacts credentials');
            return 'paid';
          },
        });
        server.resource({
          uri: 'boom://resource',
          name: 'boom',
          read() {
            throw new Error('resource backend exploded with secret detail');
          },
        });
      },
    });
  });

  after(async () => {
    await app?.shutdown();
  });

  const completedFor = (requestId: string) => log.lines.find((line) => line.request_id === requestId && (line.msg === 'request completed' || line.msg === 'request failed'));

  test('a tools/call logs request_id = X-Request-Id, method, tool, transport, duration_ms', T, async () => {
    const response = await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'hi' } }, { 'x-request-id': 'req-abc-123' });
    assert.equal(response.status, 200);
    assert.equal(response.json.result.content[0].text, 'hi');
    const line = completedFor('req-abc-123');
    assert.ok(line, JSON.stringify(log.lines));
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'request completed');
    assert.equal(line.method, 'tools/call');
    assert.equal(line.tool, 'echo');
    assert.equal(line.transport, 'http');
    assert.equal(line.service, 'mcpd');
    assert.equal(typeof line.duration_ms, 'number');
    assert.ok(line.duration_ms >= 0 && line.duration_ms < 5_000);
    assert.equal(line.session_id, undefined, 'a 2026 request has no session');
    assert.equal(typeof line.time, 'string');
  });

  test("the tool's ctx.logger lines carry the same request_id, method and tool", T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'again' } }, { 'x-request-id': 'req-inner-7' });
    const inner = log.lines.find((line) => line.msg === 'tool says hi' && line.request_id === 'req-inner-7');
    assert.ok(inner, JSON.stringify(log.lines.slice(-5)));
    assert.equal(inner.step, 'inside');
    assert.equal(inner.method, 'tools/call');
    assert.equal(inner.tool, 'echo');
    const outer = completedFor('req-inner-7');
    assert.ok(log.lines.indexOf(inner) < log.lines.indexOf(outer), 'the handler line comes before the completion line');
  });

  test('with only traceparent, request_id is its trace id (header, or 2026 _meta)', T, async () => {
    const traceId = randomHex(16);
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 't' } }, { traceparent: `00-${traceId}-${randomHex(8)}-01` });
    const line = completedFor(traceId);
    assert.ok(line, `a line with request_id ${traceId}`);
    assert.equal(line.tool, 'echo');

    const metaTrace = randomHex(16);
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'm' }, _meta: { traceparent: `00-${metaTrace}-${randomHex(8)}-01` } });
    assert.ok(completedFor(metaTrace), `a line with request_id ${metaTrace} (from _meta.traceparent)`);
  });

  test('X-Request-Id wins over traceparent', T, async () => {
    const traceId = randomHex(16);
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'w' } }, { 'x-request-id': 'req-wins-1', traceparent: `00-${traceId}-${randomHex(8)}-01` });
    assert.ok(completedFor('req-wins-1'));
    assert.equal(completedFor(traceId), undefined);
  });

  test('without either, a fresh id per request; a malformed X-Request-Id is not trusted', T, async () => {
    const before = log.lines.length;
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'a' } });
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'b' } }, { 'x-request-id': 'has spaces and "quotes" {json}' });
    const completed = log.lines.slice(before).filter((line) => line.msg === 'request completed');
    assert.equal(completed.length, 2);
    for (const line of completed) {
      assert.equal(typeof line.request_id, 'string');
      assert.match(line.request_id, GENERATED_ID, 'a generated id, safe to log and to echo');
      assert.ok(!line.request_id.includes(' ') && !line.request_id.includes('"'), 'the malformed header is not used');
    }
    assert.notEqual(completed[0].request_id, completed[1].request_id, 'unique per request');
  });

  test('2025 sessions: session_id on the request line and on ctx.logger lines', T, async () => {
    const { sessionId } = await initializeSession(app.url);
    const response = await sessionPost(app.url, sessionId, { id: 5, method: 'tools/call', params: { name: 'echo', arguments: { text: 's' } } }, { 'x-request-id': 'req-session-5' });
    assert.equal(response.json.result.content[0].text, 's');
    const line = completedFor('req-session-5');
    assert.ok(line);
    assert.equal(line.session_id, sessionId);
    const inner = log.lines.find((l) => l.msg === 'tool says hi' && l.request_id === 'req-session-5');
    assert.equal(inner?.session_id, sessionId);
    const init = log.lines.find((l) => l.msg === 'request completed' && l.method === 'initialize');
    assert.ok(init, 'initialize is logged too');
  });

  test('a tool that throws: the client sees only "Internal error"; the log has the stack and request_id', T, async () => {
    const response = await statelessPost(app.url, 'tools/call', { name: 'explode', arguments: {} }, { 'x-request-id': 'req-explode-1' });
    assert.equal(response.status, 200);
    const body = JSON.stringify(response.json);
    assert.ok(!body.includes('kaboom') && !body.includes('10.1.2.3'), `the cause leaked to the client: ${body}`);
    assert.equal(response.json.result.isError, true);
    assert.match(response.json.result.content[0].text, /Internal error/);
    const internal = log.lines.find((line) => line.msg === 'internal error' && line.request_id === 'req-explode-1');
    assert.ok(internal, JSON.stringify(log.lines.slice(-4)));
    assert.equal(internal.level, 'error');
    assert.equal(internal.method, 'tools/call');
    assert.match(internal.err.message, /kaboom/);
    assert.match(internal.err.stack, /kaboom[\s\S]*chassis-logging\.test\.ts/, 'the stack points at the throwing code');
    const completed = completedFor('req-explode-1');
    assert.equal(completed.tool_error, true);
  });

  test('a resource that throws: JSON-RPC -32603 "Internal error"; logged at error with the stack', T, async () => {
    const response = await statelessPost(app.url, 'resources/read', { uri: 'boom://resource' }, { 'x-request-id': 'req-boom-1' });
    assert.equal(response.json.error.code, -32603);
    assert.equal(response.json.error.message, 'Internal error');
    assert.ok(!JSON.stringify(response.json).includes('secret detail'));
    const failed = completedFor('req-boom-1');
    assert.equal(failed.msg, 'request failed');
    assert.equal(failed.level, 'error');
    assert.equal(failed.error_code, 'INTERNAL');
    assert.equal(failed.jsonrpc_code, -32603);
    const internal = log.lines.find((line) => line.msg === 'internal error' && line.request_id === 'req-boom-1');
    assert.match(internal?.err?.stack ?? '', /resource backend exploded/);
  });

  test('a client error (unknown tool) is a warn line, not an error', T, async () => {
    const response = await statelessPost(app.url, 'tools/call', { name: 'no_such_tool', arguments: {} }, { 'x-request-id': 'req-unknown-1' });
    assert.ok(response.json.error);
    const line = completedFor('req-unknown-1');
    assert.equal(line.msg, 'request failed');
    assert.equal(line.level, 'warn');
    assert.equal(line.tool, 'no_such_tool');
  });

  test("argument fields a tool marks sensitive are redacted in its handler's log lines", T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'pay', arguments: { card: '4111-1111-1111-1111', amount: 5 } }, { 'x-request-id': 'req-pay-1' });
    const line = log.lines.find((entry) => entry.msg === 'paying');
    assert.equal(line?.request_id, 'req-pay-1');
    assert.equal(line?.card, '[REDACTED]');
    assert.equal(line?.args?.card, '[REDACTED]');
    assert.equal(line?.args?.amount, 5);
    assert.equal(log.lines.find((entry) => entry.msg === 'still redacts credentials')?.password, '[REDACTED]');
    assert.ok(!log.text().includes('4111-1111'), 'the card number appears nowhere in the log');
  });

  test('credentials logged through ctx.logger are redacted (top level and nested)', T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'leaky', arguments: {} }, { 'x-request-id': 'req-leaky-1' });
    const nested = log.lines.find((line) => line.msg === 'leaky nested');
    assert.equal(nested?.user?.password, '[REDACTED]');
    assert.equal(nested?.user?.apiKey, '[REDACTED]');
    const top = log.lines.find((line) => line.msg === 'leaky top-level');
    assert.ok(top);
    assert.equal(top.request_id, 'req-leaky-1');
    assert.equal(top.password, '[REDACTED]', 'ctx.logger.info({ password }) must not log the password');
    assert.equal(top.token, '[REDACTED]', 'ctx.logger.info({ token }) must not log the token');
    assert.ok(!log.text().includes('x-password-value') && !log.text().includes('y-token-value'), 'no credential anywhere in the log');
  });
});

describe('stdio mode (spawned): stdout carries only JSON-RPC, logs go to stderr', () => {
  after(() => killAll());

  const initialize = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'stdio-test', version: '1.0.0' } },
  });

  async function exchange(child: Child, messages: object[], expectIds: number[]) {
    for (const message of messages) child.proc.stdin.write(`${JSON.stringify(message)}\n`);
    for (const id of expectIds) await child.waitForLine('stdout', (line) => line.json?.id === id, 8_000, `response ${id}`);
  }

  test('mcpd serve --transport stdio at debug/json: protocol on stdout, log lines on stderr', { timeout: 15_000 }, async () => {
    const child = spawnChild([CLI, 'serve', '--transport', 'stdio'], {
      env: { MCPD_ENV: 'stdio-test-no-file', NODE_ENV: undefined, MCPD_LOGGING__LEVEL: 'debug', MCPD_LOGGING__FORMAT: 'json' },
    });
    await exchange(child, [initialize(1), { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], [1, 2]);
    child.proc.stdin.end();
    const exit = await waitExit(child, 8_000);
    assert.equal(exit.code, 0, 'stdin closed ends the server cleanly');
    const { stdout } = child.raw();
    const lines = stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 2, `exactly two responses on stdout:\n${stdout}`);
    for (const text of lines) {
      const message = JSON.parse(text);
      assert.equal(message.jsonrpc, '2.0');
      assert.ok('result' in message || 'error' in message, text);
      assert.equal(message.msg, undefined, 'not a log line');
    }
    assert.equal(JSON.parse(lines[0]!).result.serverInfo.name, 'mcpd');
    assert.ok(Array.isArray(JSON.parse(lines[1]!).result.tools));
    const logs = child.stderr.map((line) => line.json).filter(Boolean);
    const started = logs.find((line) => line.msg === 'mcpd started');
    assert.ok(started, child.raw().stderr);
    assert.equal(started.transport, 'stdio');
    assert.ok(logs.some((line) => line.msg === 'request completed' && line.method === 'tools/list' && line.transport === 'stdio'), 'request lines at info');
    assert.ok(logs.every((line) => typeof line.level === 'string' && typeof line.msg === 'string'));
  });

  test('the production logger (createLogger) redacts credentials logged by a tool', { timeout: 15_000 }, async () => {
    // The test entry script builds its logger from config like `mcpd serve` does.
    const child = spawnChild(['--import', 'tsx', ENTRY], {
      env: { MCPD_ENV: 'test', NODE_ENV: undefined, MCPD_SERVER__TRANSPORT: 'stdio', MCPD_LOGGING__LEVEL: 'info', MCPD_LOGGING__FORMAT: 'json' },
    });
    await exchange(
      child,
      [initialize(1), { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'leaky', arguments: {} } }],
      [1, 2],
    );
    const line = await child.waitForLine('stderr', (l) => l.json?.msg === 'leaky logged', 5_000, 'the leaky log line');
    child.proc.stdin.end();
    await waitExit(child, 8_000);
    assert.equal(line.json.nested.password, '[REDACTED]');
    const stderr = child.raw().stderr;
    assert.ok(!child.raw().stdout.includes('leaky logged'), 'log lines never reach stdout');
    assert.equal(line.json.password, '[REDACTED]', `top-level password logged in clear: ${line.text}`);
    assert.equal(line.json.token, '[REDACTED]');
    assert.ok(!stderr.includes('hunter2') && !stderr.includes('tok-top-level'));
  });
});
