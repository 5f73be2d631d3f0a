/**
 * Request deadline, overload refusal and graceful drain.
 *
 * The deadline and overload cases run in-process. The drain runs the real
 * process (test/helpers/mcpd-entry.ts: loadConfig + createMcpd + the signal
 * handling of `mcpd serve`) so SIGTERM, exit codes and timing are the real ones.
 *
 * Readiness during a drain: the listener is closed at the first moment of the
 * drain, so a NEW connection to /readyz is refused (ECONNREFUSED; ECONNRESET
 * when the connect races the close) — load balancers see the instance go away. A request arriving on a connection that
 * is still open (busy with an in-flight request, pipelined behind it) is
 * answered: /readyz with 503 not_ready/draining, the MCP endpoint with 503
 * and Retry-After.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { initializeSession, LATEST_2025, rawRequest, sessionPost } from '../helpers/http.js';
import { statelessPost, STATELESS_META } from '../helpers/server.js';
import { gate, sampleValue, scrape, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { ENTRY, killAll, spawnChild, startedUrl, waitExit, type Child } from '../helpers/process.js';

const sleepUnref = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('per-request deadline (lifecycle.requestTimeoutMs)', () => {
  let app: StartedMcpd;
  const observed: { aborted?: boolean; reason?: unknown; abortedAfterMs?: number; finished?: boolean; startedAfterDeadline?: boolean } = {};

  before(async () => {
    app = await startMcpd(testConfig({ lifecycle: { requestTimeoutMs: 200 } }), {
      register(server) {
        server.tool({
          name: 'sleeper',
          async handler(_args, ctx) {
            const started = performance.now();
            // A listener added after the abort never fires: record a handler that started past its deadline.
            if (ctx.signal.aborted) observed.startedAfterDeadline = true;
            ctx.signal.addEventListener('abort', () => {
              observed.aborted = true;
              observed.reason = ctx.signal.reason;
              observed.abortedAfterMs = performance.now() - started;
            });
            await sleepUnref(2_000); // does not honour the signal
            observed.finished = true;
            return 'too late';
          },
        });
        server.tool({ name: 'quick', handler: () => 'in time' });
      },
    });
    // The first request of a fresh server pays one-time costs; on a loaded CI machine they can eat the 200 ms.
    await statelessPost(app.url, 'tools/call', { name: 'quick', arguments: {} });
  });

  after(async () => {
    await app?.shutdown();
  });

  test('a handler that ignores its signal: TIMEOUT after ~200 ms, and ctx.signal was aborted', { timeout: 10_000 }, async () => {
    const started = performance.now();
    const response = await statelessPost(app.url, 'tools/call', { name: 'sleeper', arguments: {} }, {}, 'slow-1');
    const elapsed = performance.now() - started;
    assert.equal(response.status, 200);
    assert.equal(response.json.id, 'slow-1');
    assert.ok(response.json.error, `a JSON-RPC error, got ${JSON.stringify(response.json)}`);
    assert.equal(response.json.error.code, -32008);
    assert.equal(response.json.error.data.errorCode, 'TIMEOUT');
    assert.match(response.json.error.message, /timed out after 200 ms/);
    assert.ok(elapsed >= 190 && elapsed < 1_500, `answered after ${Math.round(elapsed)} ms`);
    assert.notEqual(observed.startedAfterDeadline, true, 'the handler started after its deadline (machine too loaded to measure)');
    assert.equal(observed.aborted, true, "the handler's signal was aborted");
    assert.ok((observed.abortedAfterMs ?? 0) >= 190 && (observed.abortedAfterMs ?? 0) < 1_500);
    assert.equal((observed.reason as { code?: string }).code, 'TIMEOUT');
    assert.notEqual(observed.finished, true, 'the client did not wait for the handler');
  });

  test('a request within the deadline is unaffected', { timeout: 5_000 }, async () => {
    const response = await statelessPost(app.url, 'tools/call', { name: 'quick', arguments: {} });
    assert.equal(response.json.result.content[0].text, 'in time');
  });

  test('the timeout is counted in metrics with its code', { timeout: 5_000 }, async () => {
    const { samples } = await scrape(app.origin);
    assert.equal(sampleValue(samples, 'mcp_tool_calls_total', { tool: 'sleeper', outcome: 'TIMEOUT' }), 1);
  });
});

describe('overload (lifecycle.maxInFlight)', () => {
  let app: StartedMcpd;
  const held = gate();
  let entered = 0;

  before(async () => {
    app = await startMcpd(testConfig({ lifecycle: { maxInFlight: 2 } }), {
      register(server) {
        server.tool({
          name: 'held',
          async handler() {
            entered++;
            await held.promise;
            return 'released';
          },
        });
      },
    });
  });

  after(async () => {
    held.open();
    await app?.shutdown();
  });

  test('with 2 calls in flight the 3rd POST gets 503 + Retry-After, counted in mcp_overload_rejections_total', { timeout: 10_000 }, async () => {
    const before = sampleValue((await scrape(app.origin)).samples, 'mcp_overload_rejections_total', { reason: 'overload' });
    assert.equal(before, undefined, 'no refusal yet');
    const first = statelessPost(app.url, 'tools/call', { name: 'held', arguments: {} }, {}, 1);
    const second = statelessPost(app.url, 'tools/call', { name: 'held', arguments: {} }, {}, 2);
    await until(() => entered === 2, 3_000, 'two calls in flight');

    const third = await statelessPost(app.url, 'tools/call', { name: 'held', arguments: {} }, {}, 3);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '1');
    assert.equal(third.json.jsonrpc, '2.0');
    assert.equal(third.json.error.code, -32005);
    assert.equal(third.json.error.data.errorCode, 'UNAVAILABLE');
    assert.match(third.json.error.message, /overloaded/);
    assert.equal(entered, 2, 'the refused call never reached the handler');

    // Health and metrics are not MCP requests: they are answered while the cap is reached.
    const ready = await fetch(`${app.origin}/readyz`, { signal: AbortSignal.timeout(3_000) });
    assert.equal(ready.status, 200);
    await ready.arrayBuffer();
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_overload_rejections_total', { reason: 'overload' }), 1);

    held.open();
    assert.equal((await first).json.result.content[0].text, 'released');
    assert.equal((await second).json.result.content[0].text, 'released');
    const fourth = await statelessPost(app.url, 'tools/call', { name: 'held', arguments: {} }, {}, 4);
    assert.equal(fourth.status, 200, 'capacity is released when responses finish');
    assert.equal(fourth.json.result.content[0].text, 'released');
  });
});

// ---------------------------------------------------------------------------
// Raw HTTP/1.1 on one socket: pipelined requests behind a busy one.

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Reads `count` HTTP/1.1 responses (content-length or chunked) from a socket. */
function readResponses(socket: Socket, count: number, timeoutMs: number): Promise<ParsedResponse[]> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const responses: ParsedResponse[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${responses.length} of ${count} responses: ${JSON.stringify(responses)}`)), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(responses);
    };
    const parseOne = (): boolean => {
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd === -1) return false;
      const [statusLine, ...headerLines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest = buffer.subarray(headEnd + 4);
      let body: Buffer;
      if (headers['transfer-encoding'] === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const lineEnd = rest.indexOf('\r\n');
          if (lineEnd === -1) return false;
          const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
          if (rest.length < lineEnd + 2 + size + 2) return false;
          parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
          rest = rest.subarray(lineEnd + 2 + size + 2);
          if (size === 0) break;
        }
        body = Buffer.concat(parts);
      } else {
        const length = Number(headers['content-length'] ?? 0);
        if (rest.length < length) return false;
        body = rest.subarray(0, length);
        rest = rest.subarray(length);
      }
      buffer = rest;
      responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') });
      return true;
    };
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (responses.length < count && parseOne());
      if (responses.length >= count) finish();
    };
    socket.on('data', onData);
    socket.once('close', () => {
      clearTimeout(timer);
      if (responses.length < count) resolve(responses);
    });
  });
}

function rawStatelessCall(host: string, path: string, id: string, tool: string, args: Record<string, unknown>): string {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args, _meta: STATELESS_META } });
  return [
    `POST ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    'Mcp-Protocol-Version: 2026-07-28',
    'Mcp-Method: tools/call',
    `Mcp-Name: ${tool}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

// ---------------------------------------------------------------------------

const SHUTDOWN_TIMEOUT_MS = 5_000;

function spawnEntry(env: Record<string, string>): Child {
  return spawnChild(['--import', 'tsx', ENTRY], {
    env: { MCPD_ENV: 'test', NODE_ENV: undefined, MCPD_CONFIG: undefined, MCPD_LOGGING__LEVEL: 'info', MCPD_LOGGING__FORMAT: 'json', MCPD_DATABASE__EMBEDDED__ENABLED: 'false', ...env },
  });
}

const logged = (child: Child, msg: string) => child.stdout.filter((line) => line.json?.msg === msg);

describe('graceful drain on SIGTERM (spawned processes, side by side)', { concurrency: true }, () => {
  after(() => killAll());

  test('200 concurrent calls in flight at SIGTERM all get their result; readiness, streams and exit behave', { timeout: 15_000 }, async (t) => {
    const child = spawnEntry({ MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), TEST_SLOW_MS: '1500' });
    const url = await startedUrl(child);
    const target = new URL(url);

    // A 2025 session with its standalone notification stream open.
    const { sessionId } = await initializeSession(url);
    const stream = await fetch(url, {
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_2025 },
    });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const streamEnd = (async () => {
      const reader = stream.body!.getReader();
      try {
        for (;;) if ((await reader.read()).done) return { clean: true, at: performance.now() };
      } catch (error) {
        return { clean: false, error, at: performance.now() };
      }
    })();

    // One busy keep-alive connection (raw), to pipeline requests on it during the drain.
    const socket = connect(Number(target.port), target.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const rawResponses = readResponses(socket, 3, 12_000);
    socket.write(rawStatelessCall(target.host, target.pathname, 'raw-1', 'slow', { text: 'raw' }));

    // 200 concurrent tools/call: 160 stateless (2026) and 40 in the one 2025 session.
    const completedAt: number[] = [];
    const calls = Array.from({ length: 200 }, async (_, i) => {
      try {
        const response =
          i < 160
            ? await statelessPost(url, 'tools/call', { name: 'slow', arguments: { text: `m${i}` } }, {}, i + 1)
            : await sessionPost(url, sessionId, { id: i + 1, method: 'tools/call', params: { name: 'slow', arguments: { text: `m${i}` } } });
        completedAt.push(performance.now());
        return { i, status: response.status, json: response.json };
      } catch (error) {
        return { i, status: 0, json: undefined, error };
      }
    });

    await until(() => logged(child, 'slow begin').length >= 201, 8_000, 'all 201 calls inside the tool');
    const sigterm = performance.now();
    child.proc.kill('SIGTERM');
    await child.waitForLine('stdout', (line) => line.json?.msg === 'draining', 3_000, "the 'draining' line");

    // Pipelined behind the busy request: answered after it, in order.
    socket.write(`GET /readyz HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
    socket.write(rawStatelessCall(target.host, target.pathname, 'raw-2', 'slow', { text: 'late' }));

    // A new connection: the listener is closed.
    const fresh = await rawRequest(`${target.origin}/readyz`, { method: 'GET', headers: { host: target.host }, timeoutMs: 3_000 }).then(
      (response) => ({ status: response.status, body: response.json, code: undefined as string | undefined }),
      (error: NodeJS.ErrnoException) => ({ status: 0, body: undefined, code: error.code }),
    );
    t.diagnostic(`a new connection to /readyz during the drain: ${fresh.status === 0 ? fresh.code : `HTTP ${fresh.status}`}`);
    if (fresh.status !== 0) {
      // Had the listener still accepted, readiness would have to say so.
      assert.equal(fresh.status, 503);
      assert.equal(fresh.body.status, 'not_ready');
    } else {
      // Refused once the listener is closed; reset if the connect raced the close (accepted into the
      // backlog, or accepted and then closed as idle by the drain).
      assert.ok(fresh.code === 'ECONNREFUSED' || fresh.code === 'ECONNRESET', `a new connection during the drain is not served: ${fresh.code}`);
    }

    const results = await Promise.all(calls);
    const lost = results.filter((result) => result.status === 0);
    assert.deepEqual(lost.map((result) => `${result.i}: ${String(result.error)}`), [], 'no request lost');
    const ok = results.filter((result) => result.status === 200 && result.json?.result?.content?.[0]?.text === `echo: m${result.i}`);
    const unavailable = results.filter((result) => result.status === 503 && result.json?.error?.code === -32005);
    assert.equal(ok.length + unavailable.length, 200, `unexpected answers: ${JSON.stringify(results.filter((r) => !ok.includes(r) && !unavailable.includes(r)).slice(0, 3))}`);
    assert.equal(ok.length, 200, 'every call admitted before SIGTERM finishes with its result');
    for (const result of ok) assert.equal(result.json.id, result.i + 1);

    const [busy, readyz, refused] = await rawResponses;
    assert.ok(busy && readyz && refused, 'three responses on the busy connection');
    assert.equal(busy.status, 200);
    assert.equal(JSON.parse(busy.body).result.content[0].text, 'echo: raw');
    assert.equal(readyz.status, 503, 'readiness is false from the first moment of the drain');
    assert.deepEqual(JSON.parse(readyz.body), { status: 'not_ready', phase: 'draining', checks: {} });
    assert.equal(refused.status, 503, 'a new MCP request during the drain is refused');
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers.connection, 'close');
    const refusal = JSON.parse(refused.body);
    assert.equal(refusal.error.code, -32005);
    assert.match(refusal.error.message, /shutting down/);
    socket.destroy();

    const ended = await streamEnd;
    assert.equal(ended.clean, true, `the notification stream ended with an error: ${String((ended as { error?: unknown }).error)}`);
    assert.ok(ended.at - sigterm < 1_000, `the notification stream ended ${Math.round(ended.at - sigterm)} ms after SIGTERM, not at once`);

    const exit = await waitExit(child, SHUTDOWN_TIMEOUT_MS + 2_000);
    assert.equal(exit.code, 0);
    assert.ok(exit.at - sigterm < SHUTDOWN_TIMEOUT_MS + 2_000, `exited ${Math.round(exit.at - sigterm)} ms after SIGTERM`);
    assert.ok(ended.at < exit.at);
    const stopped = logged(child, 'stopped');
    assert.equal(stopped.length, 1);
    assert.equal(stopped[0]!.json.clean, true);
    assert.equal(logged(child, 'slow begin').length, 201, 'the refused pipelined call never reached the tool');
  });

  test('a second SIGTERM exits 1 at once while a request is stuck', { timeout: 15_000 }, async () => {
    const child = spawnEntry({ MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS: '20000', TEST_STUCK_MS: '30000' });
    const url = await startedUrl(child);
    const stuck = statelessPost(url, 'tools/call', { name: 'stuck', arguments: {} }).then(
      (response) => ({ status: response.status }),
      (error: unknown) => ({ status: 0, error }),
    );
    await child.waitForLine('stdout', (line) => line.json?.msg === 'stuck begin', 5_000, 'the stuck call inside the tool');
    child.proc.kill('SIGTERM');
    await child.waitForLine('stdout', (line) => line.json?.msg === 'draining', 3_000, "the 'draining' line");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(child.proc.exitCode, null, 'still draining after the first signal');
    const second = performance.now();
    child.proc.kill('SIGTERM');
    const exit = await waitExit(child, 3_000);
    assert.equal(exit.code, 1);
    assert.ok(exit.at - second < 2_000, `exited ${Math.round(exit.at - second)} ms after the second signal`);
    assert.ok(logged(child, 'second signal, exiting without waiting').length === 1 || child.raw().stdout.includes('second signal'), child.raw().stdout);
    assert.equal((await stuck).status, 0, 'the stuck request is cut off with the process');
  });

  test('the drain deadline ends a stuck drain: logged as cut short, the process exits', { timeout: 15_000 }, async () => {
    const deadline = 500;
    const child = spawnEntry({ MCPD_LIFECYCLE__SHUTDOWN_TIMEOUT_MS: String(deadline), TEST_STUCK_MS: '30000' });
    const url = await startedUrl(child);
    const stuck = statelessPost(url, 'tools/call', { name: 'stuck', arguments: {} }).then(
      (response) => ({ status: response.status }),
      (error: unknown) => ({ status: 0, error }),
    );
    await child.waitForLine('stdout', (line) => line.json?.msg === 'stuck begin', 5_000, 'the stuck call inside the tool');
    const sigterm = performance.now();
    child.proc.kill('SIGTERM');
    const exit = await waitExit(child, deadline + 3_000);
    const elapsed = exit.at - sigterm;
    assert.ok(elapsed >= deadline - 50 && elapsed < deadline + 2_000, `exited ${Math.round(elapsed)} ms after SIGTERM (deadline ${deadline} ms)`);
    // `mcpd serve` (and so the entry script) exits 0 after a drain cut short by the deadline; the log says so.
    assert.equal(exit.code, 0);
    const stopped = logged(child, 'stopped');
    assert.equal(stopped[0]?.json.clean, false);
    assert.equal((await stuck).status, 0, 'the stuck request is cut off');
  });
});
