/**
 * Regression tests for protocol-level fixes of the hardening review: tasks
 * bound to their 2025 session, log levels that are not prototype keys,
 * requestState bound to the call's arguments, duplicate in-flight request
 * ids, and results JSON cannot represent.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createServer, type McpdError, type McpServer } from '../../src/index.js';
import { startFixture, statelessPost, STATELESS_META, type RunningServer } from '../helpers/server.js';
import { initializeSession, sessionPost, waitFor } from '../helpers/http.js';
import { WsPeer } from '../helpers/ws.js';

const T = { timeout: 10_000 } as const;
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';

describe('tasks of a 2025 session are invisible to other sessions', () => {
  let running: RunningServer;
  let sessionA: string;
  let sessionB: string;
  let taskId: string;

  before(async () => {
    running = await startFixture();
    ({ sessionId: sessionA } = await initializeSession(running.url, TASKS));
    ({ sessionId: sessionB } = await initializeSession(running.url, TASKS));
    const created = await sessionPost(running.url, sessionA, { id: 1, method: 'tools/call', params: { name: 'slow_compute', arguments: { seconds: 30 } } });
    assert.equal(created.json.result.resultType, 'task', JSON.stringify(created.json));
    taskId = created.json.result.taskId;
    assert.equal(typeof taskId, 'string');
  });

  after(async () => {
    // Cleanup through the owner; the task must still be there and cancellable by it.
    if (taskId) {
      const cancelled = await sessionPost(running.url, sessionA, { id: 99, method: 'tasks/cancel', params: { taskId } });
      assert.equal(cancelled.json.error, undefined, JSON.stringify(cancelled.json));
    }
    await running?.close();
  });

  test('session B: tasks/get, tasks/update and tasks/cancel with A\'s task id are -32602', T, async () => {
    const get = await sessionPost(running.url, sessionB, { id: 2, method: 'tasks/get', params: { taskId } });
    assert.equal(get.status, 200);
    assert.equal(get.json.error?.code, -32602, JSON.stringify(get.json));
    const update = await sessionPost(running.url, sessionB, { id: 3, method: 'tasks/update', params: { taskId, inputResponses: {} } });
    assert.equal(update.json.error?.code, -32602, JSON.stringify(update.json));
    const cancel = await sessionPost(running.url, sessionB, { id: 4, method: 'tasks/cancel', params: { taskId } });
    assert.equal(cancel.json.error?.code, -32602, JSON.stringify(cancel.json));
  });

  test('an anonymous 2026-07-28 request with the task id does not see it either', T, async () => {
    const response = await statelessPost(running.url, 'tasks/get', { taskId, _meta: { [CAPABILITIES_KEY]: TASKS } }, { 'mcp-name': taskId });
    assert.equal(response.json.error?.code, -32602, JSON.stringify(response.json));
  });

  test('session A still sees its task, still working', T, async () => {
    const get = await sessionPost(running.url, sessionA, { id: 5, method: 'tasks/get', params: { taskId } });
    assert.equal(get.json.result?.taskId, taskId, JSON.stringify(get.json));
    assert.equal(get.json.result.status, 'working');
  });
});

describe('logging/setLevel refuses names that are not log levels', () => {
  let running: RunningServer;
  let sessionId: string;

  before(async () => {
    running = await startFixture();
    ({ sessionId } = await initializeSession(running.url));
  });

  after(async () => {
    await running?.close();
  });

  let id = 0;
  for (const level of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'INFO', '']) {
    test(`level ${JSON.stringify(level)}: -32602`, T, async () => {
      const response = await sessionPost(running.url, sessionId, { id: ++id, method: 'logging/setLevel', params: { level } });
      assert.equal(response.status, 200);
      assert.equal(response.json.error?.code, -32602, JSON.stringify(response.json));
    });
  }

  test('a real level is accepted, and the session still works after the refusals', T, async () => {
    const set = await sessionPost(running.url, sessionId, { id: 100, method: 'logging/setLevel', params: { level: 'warning' } });
    assert.deepEqual(set.json.result, {});
    const list = await sessionPost(running.url, sessionId, { id: 101, method: 'tools/list', params: {} });
    assert.ok(list.json.result.tools.length > 0);
  });

  test('the 2026-07-28 logLevel envelope field refuses them too', T, async () => {
    for (const level of ['constructor', '__proto__']) {
      const response = await statelessPost(running.url, 'tools/list', { _meta: { 'io.modelcontextprotocol/logLevel': level } });
      assert.equal(response.json.error?.code, -32602, `${level}: ${JSON.stringify(response.json)}`);
    }
  });
});

describe('2026-07-28 requestState is bound to the call\'s arguments', () => {
  let server: McpServer;
  let url: string;
  const runs: number[] = [];

  before(async () => {
    server = createServer({ name: 'hardening-request-state', version: '1.0.0' }).tool({
      name: 'bound_echo',
      description: 'Asks for k, then returns n',
      input: z.object({ n: z.number(), tag: z.string().optional() }),
      async handler({ n }, ctx) {
        runs.push(n);
        const answer = await ctx.elicit({ message: 'k?', requestedSchema: { type: 'object', properties: { k: { type: 'string' } } } }, 'k');
        return `n=${n} k=${String(answer.content?.k)}`;
      },
    });
    url = (await server.listenHttp({ host: '127.0.0.1', port: 0 })).url;
  });

  after(async () => {
    await server?.close();
  });

  const call = (args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    statelessPost(url, 'tools/call', { name: 'bound_echo', arguments: args, ...extra, _meta: { [CAPABILITIES_KEY]: { elicitation: {} } } });

  async function firstRound(args: Record<string, unknown>): Promise<string> {
    const round = await call(args);
    assert.equal(round.status, 200);
    const result = round.json.result;
    assert.equal(result.resultType, 'input_required', JSON.stringify(round.json));
    assert.deepEqual(Object.keys(result.inputRequests), ['k']);
    assert.equal(result.inputRequests.k.method, 'elicitation/create');
    assert.equal(typeof result.requestState, 'string');
    return result.requestState;
  }

  const expectInvalidState = (response: { json: any }) => {
    assert.equal(response.json.error?.code, -32602, JSON.stringify(response.json));
    assert.match(response.json.error.message, /Invalid or expired requestState/);
  };

  test('retrying with other arguments and the same requestState is refused', T, async () => {
    const state = await firstRound({ n: 1 });
    expectInvalidState(await call({ n: 2 }, { requestState: state }));
    // Supplying the answer does not make the replay acceptable either.
    expectInvalidState(await call({ n: 2 }, { requestState: state, inputResponses: { k: { action: 'accept', content: { k: 'v' } } } }));
    // Nor does a state for the same tool with a changed optional argument.
    expectInvalidState(await call({ n: 1, tag: 'extra' }, { requestState: state }));
  });

  test('retrying with the same arguments, the state and the answer completes', T, async () => {
    const state = await firstRound({ n: 1 });
    const done = await call({ n: 1 }, { requestState: state, inputResponses: { k: { action: 'accept', content: { k: 'v' } } } });
    assert.equal(done.status, 200);
    assert.equal(done.json.result?.resultType, 'complete', JSON.stringify(done.json));
    assert.equal(done.json.result.content[0].text, 'n=1 k=v');
  });

  test('the binding ignores the key order of the arguments', T, async () => {
    const state = await firstRound({ n: 3, tag: 't' });
    const done = await call({ tag: 't', n: 3 }, { requestState: state, inputResponses: { k: { action: 'accept', content: { k: 'w' } } } });
    assert.equal(done.json.result?.content?.[0]?.text, 'n=3 k=w', JSON.stringify(done.json));
  });

  test('a requestState is not valid for another tool\'s call either', T, async () => {
    const state = await firstRound({ n: 1 });
    server.tool({
      name: 'other_bound',
      input: z.object({ n: z.number() }),
      async handler({ n }, ctx) {
        const answer = await ctx.elicit({ message: 'k?' }, 'k');
        return `other n=${n} ${answer.action}`;
      },
    });
    const response = await statelessPost(url, 'tools/call', {
      name: 'other_bound',
      arguments: { n: 1 },
      requestState: state,
      _meta: { [CAPABILITIES_KEY]: { elicitation: {} } },
    });
    expectInvalidState(response);
  });
});

describe('a duplicate in-flight request id in a 2025 session', () => {
  let server: McpServer;
  let url: string;
  let completed = 0;

  before(async () => {
    server = createServer({ name: 'hardening-duplicate-id', version: '1.0.0' }).tool({
      name: 'sleepy',
      description: 'Sleeps 500 ms',
      async handler(_args, ctx) {
        await sleep(500, undefined, { signal: ctx.signal });
        completed++;
        return 'slept';
      },
    });
    url = (await server.listenHttp({ host: '127.0.0.1', port: 0 })).url;
  });

  after(async () => {
    await server?.close();
  });

  test('over HTTP: the second request with id 7 is refused with -32600; the first completes', T, async () => {
    const { sessionId } = await initializeSession(url);
    const session = server.engine.sessions.get(sessionId)!;
    const first = sessionPost(url, sessionId, { id: 7, method: 'tools/call', params: { name: 'sleepy', arguments: {} } });
    await waitFor(() => session.inFlightCount === 1, 3_000, 'the first call in flight');
    const second = await sessionPost(url, sessionId, { id: 7, method: 'tools/list', params: {} });
    assert.equal(second.status, 200);
    assert.equal(second.json.id, 7);
    assert.equal(second.json.error?.code, -32600, JSON.stringify(second.json));
    assert.match(second.json.error.message, /already in flight/);

    const done = await first;
    assert.equal(done.json.result?.content?.[0]?.text, 'slept', JSON.stringify(done.json));
    assert.equal(done.json.result.isError, undefined);
    // Once settled, the id may be used again.
    const reuse = await sessionPost(url, sessionId, { id: 7, method: 'tools/list', params: {} });
    assert.ok(Array.isArray(reuse.json.result?.tools));
  });

  test('the first call stays cancellable after a refused duplicate', T, async () => {
    const { sessionId } = await initializeSession(url);
    const session = server.engine.sessions.get(sessionId)!;
    const before = completed;
    const first = sessionPost(url, sessionId, { id: 'dup', method: 'tools/call', params: { name: 'sleepy', arguments: {} } });
    await waitFor(() => session.inFlightCount === 1, 3_000, 'the first call in flight');
    const second = await sessionPost(url, sessionId, { id: 'dup', method: 'tools/call', params: { name: 'sleepy', arguments: {} } });
    assert.equal(second.json.error?.code, -32600);
    const cancel = await sessionPost(url, sessionId, { method: 'notifications/cancelled', params: { requestId: 'dup', reason: 'test' } });
    assert.equal(cancel.status, 202);
    await first.catch(() => undefined);
    await waitFor(() => session.inFlightCount === 0, 3_000, 'the cancelled call settled');
    assert.equal(completed, before, 'the cancelled call did not run to completion');
  });

  test('over WebSocket: the same refusal', T, async () => {
    const peer = await WsPeer.open(url.replace(/^http/, 'ws'));
    try {
      await peer.request('init', 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
      peer.send({ method: 'notifications/initialized' });
      peer.send({ id: 7, method: 'tools/call', params: { name: 'sleepy', arguments: {} } });
      await sleep(50);
      peer.send({ id: 7, method: 'tools/list', params: {} });
      const refusal = await peer.next((message) => message.id === 7 && 'error' in message);
      assert.equal(refusal.error.code, -32600);
      assert.match(refusal.error.message, /already in flight/);
      const done = await peer.next((message) => message.id === 7 && 'result' in message);
      assert.equal(done.result.content[0].text, 'slept');
    } finally {
      await peer.close();
    }
  });
});

describe('a result JSON cannot represent (BigInt) becomes a generic internal error', () => {
  let server: McpServer;
  let url: string;
  const reported: McpdError[] = [];

  before(async () => {
    server = createServer({ name: 'hardening-bigint', version: '1.0.0', onInternalError: (error) => reported.push(error) })
      .tool({ name: 'bigint_meta', handler: () => ({ content: [{ type: 'text', text: 'x' }], _meta: { big: 10n } }) })
      .tool({ name: 'bigint_structured', handler: () => ({ content: [{ type: 'text', text: 'x' }], structuredContent: { big: 10n } }) })
      .tool({ name: 'fine', handler: () => 'fine' });
    url = (await server.listenHttp({ host: '127.0.0.1', port: 0 })).url;
  });

  after(async () => {
    await server?.close();
  });

  /** A generic -32603: no trace of the serializer's complaint ("Do not know how to serialize a BigInt"). */
  function assertInternal(message: any, id: unknown): void {
    assert.equal(message.id, id);
    assert.equal(message.result, undefined);
    assert.equal(message.error?.code, -32603, JSON.stringify(message));
    assert.equal(message.error.message, 'Internal error');
    assert.doesNotMatch(JSON.stringify(message.error), /bigint|serializ/i);
  }

  test('2025 session over HTTP', T, async () => {
    const { sessionId } = await initializeSession(url);
    for (const [i, name] of ['bigint_meta', 'bigint_structured'].entries()) {
      const before = reported.length;
      const response = await sessionPost(url, sessionId, { id: i, method: 'tools/call', params: { name, arguments: {} } });
      assert.equal(response.status, 200);
      assertInternal(response.json, i);
      assert.equal(reported.length, before + 1, 'reported once to onInternalError');
    }
    const next = await sessionPost(url, sessionId, { id: 'after', method: 'tools/call', params: { name: 'fine', arguments: {} } });
    assert.equal(next.json.result.content[0].text, 'fine');
  });

  test('2026-07-28 over HTTP', T, async () => {
    const response = await statelessPost(url, 'tools/call', { name: 'bigint_meta', arguments: {} }, {}, 'big-2026');
    assertInternal(response.json, 'big-2026');
    const list = await statelessPost(url, 'tools/list');
    assert.equal(list.status, 200);
    assert.ok(list.json.result.tools.length === 3);
  });

  test('over WebSocket, both eras: the socket stays open and keeps serving', T, async () => {
    const peer = await WsPeer.open(url.replace(/^http/, 'ws'));
    try {
      await peer.request('init', 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
      peer.send({ method: 'notifications/initialized' });
      assertInternal(await peer.request('ws-big', 'tools/call', { name: 'bigint_meta', arguments: {} }), 'ws-big');
      assertInternal(await peer.request('ws-big-2026', 'tools/call', { name: 'bigint_structured', arguments: {}, _meta: STATELESS_META }), 'ws-big-2026');
      const list = await peer.request('ws-list', 'tools/list', {});
      assert.equal(list.result.tools.length, 3);
    } finally {
      await peer.close();
    }
  });
});

describe('2025 sessions that never finish the handshake are reaped', () => {
  let server: McpServer;
  let url: string;

  before(async () => {
    server = createServer({ name: 'hardening-handshake', version: '1.0.0', sessions: { handshakeTimeoutMs: 200 } }).tool({ name: 'fine', handler: () => 'fine' });
    url = (await server.listenHttp({ host: '127.0.0.1', port: 0 })).url;
  });

  after(async () => {
    await server?.close();
  });

  test('initialize without notifications/initialized: gone after handshakeTimeoutMs; a finished handshake stays', T, async () => {
    const bare = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    await bare.arrayBuffer();
    const halfOpen = bare.headers.get('mcp-session-id')!;
    assert.ok(halfOpen);
    const { sessionId: complete } = await initializeSession(url);

    await waitFor(() => server.engine.sessions.get(halfOpen) === undefined, 5_000, 'the half-open session reaped');
    const refused = await sessionPost(url, halfOpen, { id: 1, method: 'tools/list', params: {} });
    assert.equal(refused.status, 404);
    const served = await sessionPost(url, complete, { id: 1, method: 'tools/list', params: {} });
    assert.equal(served.status, 200);
    assert.equal(served.json.result.tools[0].name, 'fine');
  });
});
