/**
 * Regression tests for transport-level fixes of the hardening review:
 * hostile WebSocket answers to server requests, 2026 listens tied to their
 * socket, the Origin policy of non-loopback binds, resumption of the
 * standalone GET stream, legacy-SSE session ids kept out of Streamable HTTP,
 * and strict Content-Type matching.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventStore, type McpServer } from '../../src/index.js';
import { buildConformanceServer } from '../../src/fixtures/conformance-server.js';
import { startFixture, statelessPost, STATELESS_META, type RunningServer } from '../helpers/server.js';
import { initializeSession, LATEST_2025, POST_HEADERS, rawRequest, sessionHeaders, sessionPost, sseEvents, waitFor, type SseEvent } from '../helpers/http.js';
import { WsPeer } from '../helpers/ws.js';

const T = { timeout: 10_000 } as const;
const INITIALIZE = { protocolVersion: LATEST_2025, capabilities: {}, clientInfo: { name: 'hardening-test', version: '1.0.0' } };
const wsUrlOf = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/** An open SSE response read event by event, with a hard deadline. */
interface OpenSse {
  status: number;
  contentType: string;
  body: any;
  next(timeoutMs?: number): Promise<SseEvent | undefined>;
  close(): void;
}

async function openSse(url: string, headers: Record<string, string>): Promise<OpenSse> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(new Error('test deadline')), 9_000);
  const response = await fetch(url, { method: 'GET', headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const contentType = response.headers.get('content-type') ?? '';
  const close = () => {
    clearTimeout(deadline);
    controller.abort();
  };
  if (!contentType.startsWith('text/event-stream')) {
    const text = await response.text();
    close();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, contentType, body, next: async () => undefined, close };
  }
  const events = sseEvents(response.body!);
  return {
    status: response.status,
    contentType,
    body: undefined,
    async next(timeoutMs = 4_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no SSE event within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const step = await Promise.race([events.next(), timeout]);
        return step.done ? undefined : step.value;
      } catch (error) {
        // A stream the server ended (or that we aborted) has no more events.
        if ((error as Error).message.startsWith('no SSE event')) throw error;
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
    close,
  };
}

/** The next SSE event carrying a JSON-RPC message (priming events have no data). */
async function nextMessage(stream: OpenSse, timeoutMs = 4_000): Promise<{ id: string | undefined; message: any }> {
  for (;;) {
    const event = await stream.next(timeoutMs);
    if (!event) throw new Error('the SSE stream ended');
    if (event.data.trim() === '') continue;
    return { id: event.id, message: JSON.parse(event.data) };
  }
}

describe('WebSocket: a client error answer to a server request cannot crash the server', () => {
  let running: RunningServer;
  let peer: WsPeer;
  let callId = 0;
  const answered = new Set<unknown>();

  before(async () => {
    running = await startFixture();
    peer = await WsPeer.open(wsUrlOf(running.url));
    const init = await peer.request('init', 'initialize', { ...INITIALIZE, capabilities: { elicitation: {} } });
    assert.equal(init.result.protocolVersion, LATEST_2025);
    peer.send({ method: 'notifications/initialized' });
  });

  after(async () => {
    await peer?.close();
    await running?.close();
  });

  /** Starts test_elicitation, answers the server's elicitation request with `error`, returns the call's response. */
  async function elicitAndAnswer(error: unknown): Promise<any> {
    const id = `call-${++callId}`;
    peer.send({ id, method: 'tools/call', params: { name: 'test_elicitation', arguments: { message: 'Who are you?' } } });
    const ask = await peer.next((message) => message.method === 'elicitation/create' && !answered.has(message.id));
    answered.add(ask.id);
    assert.ok(typeof ask.id === 'string' || typeof ask.id === 'number', 'the server request carries an id');
    peer.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: ask.id, error }));
    return peer.response(id);
  }

  function assertUpstreamFailure(response: any): void {
    if ('error' in response) {
      assert.equal(typeof response.error.code, 'number');
      assert.equal(typeof response.error.message, 'string');
      return;
    }
    assert.equal(response.result.isError, true, JSON.stringify(response.result));
    assert.equal(response.result._meta?.['dev.mcpd/error']?.code, 'UPSTREAM_ERROR');
    assert.match(response.result.content[0].text, /^UPSTREAM_ERROR: /);
  }

  test('error.message = {"toString":1}: the call fails cleanly and the server stays up', T, async () => {
    const response = await elicitAndAnswer({ code: 1, message: { toString: 1 } });
    assertUpstreamFailure(response);
    if ('result' in response) assert.doesNotMatch(response.result.content[0].text, /toString|\[object/);

    // The same socket keeps working...
    const list = await peer.request('list-same-socket', 'tools/list', {});
    assert.ok(list.result.tools.length > 0);
    // ...and so does a new connection, and plain HTTP.
    const fresh = await WsPeer.open(wsUrlOf(running.url));
    try {
      await fresh.request('init', 'initialize', INITIALIZE);
      fresh.send({ method: 'notifications/initialized' });
      const freshList = await fresh.request('list', 'tools/list', {});
      assert.ok(freshList.result.tools.some((tool: { name: string }) => tool.name === 'test_elicitation'));
    } finally {
      await fresh.close();
    }
    const http = await statelessPost(running.url, 'tools/list');
    assert.equal(http.status, 200);
  });

  for (const [label, error] of [
    ['error: null', null],
    ['error: a string', 'boom'],
    ['error: a number', 42],
    ['error: an array', [1, 2]],
    ['error.code an object, message a huge string', { code: { valueOf: 1 }, message: 'x'.repeat(20_000) }],
    ['error.message an array', { code: -1, message: ['a', { toString: 1 }] }],
  ] as const) {
    test(`${label}: the call fails cleanly`, T, async () => {
      const response = await elicitAndAnswer(error);
      assertUpstreamFailure(response);
      // Nothing unbounded from the client is echoed back.
      assert.ok(JSON.stringify(response).length < 2_000, `bounded response (${JSON.stringify(response).length} chars)`);
      const list = await peer.request(`list-after-${callId}`, 'tools/list', {});
      assert.ok(Array.isArray(list.result.tools));
    });
  }
});

describe('WebSocket: 2026-07-28 subscriptions/listen ends with its socket', () => {
  let running: RunningServer;
  const LISTEN = (id: number | string) => ({
    id,
    method: 'subscriptions/listen',
    params: { notifications: { toolsListChanged: true }, _meta: STATELESS_META },
  });
  const isAck = (message: any) => message.method === 'notifications/subscriptions/acknowledged';

  before(async () => {
    running = await startFixture();
  });

  after(async () => {
    await running?.close();
  });

  test('five listens on one socket are all released when it closes', T, async () => {
    const hub = running.server.engine.listen;
    assert.equal(hub.size, 0);
    const peer = await WsPeer.open(wsUrlOf(running.url));
    try {
      for (let i = 0; i < 5; i++) peer.send(LISTEN(`listen-${i}`));
      const acks = await peer.count(isAck, 5);
      assert.deepEqual(acks.map((ack) => ack.params._meta['io.modelcontextprotocol/subscriptionId']).sort(), [0, 1, 2, 3, 4].map((i) => `listen-${i}`));
      await waitFor(() => hub.size === 5, 3_000, 'five listeners');
      // They are live: a tool registration reaches each of them.
      running.server.tool({ name: 'hardening_dynamic_ws', description: 'appears', handler: () => 'x' });
      const changes = await peer.count((message) => message.method === 'notifications/tools/list_changed', 5);
      assert.equal(new Set(changes.map((change) => change.params._meta['io.modelcontextprotocol/subscriptionId'])).size, 5);
    } finally {
      await peer.close();
    }
    await waitFor(() => hub.size === 0, 3_000, 'listeners released after the socket closed');
  });

  test('notifications/cancelled with the listen id ends that listen only; the socket keeps serving', T, async () => {
    const hub = running.server.engine.listen;
    const peer = await WsPeer.open(wsUrlOf(running.url));
    try {
      peer.send(LISTEN('keep'));
      peer.send(LISTEN(77));
      await peer.count(isAck, 2);
      await waitFor(() => hub.size === 2, 3_000, 'two listeners');

      peer.send({ method: 'notifications/cancelled', params: { requestId: 77, reason: 'no longer needed' } });
      await waitFor(() => hub.size === 1, 3_000, 'the cancelled listen released');

      peer.send({ method: 'notifications/cancelled', params: { requestId: 'keep', _meta: STATELESS_META } });
      await waitFor(() => hub.size === 0, 3_000, 'the string-id listen released');

      const list = await peer.request('after-cancel', 'tools/list', { _meta: STATELESS_META });
      assert.equal(list.result.resultType, 'complete');
    } finally {
      await peer.close();
    }
  });

  test('listens reusing one request id are all released when the socket closes', T, async () => {
    // JSON-RPC ids are the client's to choose: reusing one must not let a listen outlive its socket.
    const hub = running.server.engine.listen;
    await waitFor(() => hub.size === 0, 3_000, 'no listeners left from earlier tests');
    const peer = await WsPeer.open(wsUrlOf(running.url));
    try {
      for (let i = 0; i < 5; i++) peer.send(LISTEN(1));
      // Each is either acknowledged (a live listen) or refused with an error response.
      await peer.count((message) => isAck(message) || (message.id === 1 && 'error' in message), 5);
    } finally {
      await peer.close();
    }
    await waitFor(() => hub.size === 0, 3_000, `listeners released after the socket closed (left: ${hub.size})`);
  });
});

describe('non-loopback bind (0.0.0.0): browser Origins are refused, non-browser clients work', () => {
  let server: McpServer;
  let port: number;
  let mcpUrl: string;

  before(async () => {
    server = buildConformanceServer();
    const http = await server.listenHttp({ host: '0.0.0.0', port: 0 });
    port = Number(new URL(http.url).port);
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
  });

  after(async () => {
    await server?.close();
  });

  const initializeBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE });

  test('a POST with Origin https://evil.example is refused with 403', T, async () => {
    const response = await rawRequest(mcpUrl, {
      headers: { ...POST_HEADERS, host: `127.0.0.1:${port}`, origin: 'https://evil.example' },
      body: initializeBody,
    });
    assert.equal(response.status, 403, response.text);
    assert.equal(response.json.error.code, -32000);
    assert.equal(response.headers['mcp-session-id'], undefined);
  });

  test('Origin "null" (sandboxed pages) is refused too', T, async () => {
    const response = await rawRequest(mcpUrl, { headers: { ...POST_HEADERS, host: `127.0.0.1:${port}`, origin: 'null' }, body: initializeBody });
    assert.equal(response.status, 403);
  });

  test('a POST without Origin initializes a session', T, async () => {
    const response = await rawRequest(mcpUrl, { headers: { ...POST_HEADERS, host: `127.0.0.1:${port}` }, body: initializeBody });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.result.protocolVersion, LATEST_2025);
    assert.equal(typeof response.headers['mcp-session-id'], 'string');
  });

  test('the Host is not restricted on a public bind (its names are unknown)', T, async () => {
    const response = await rawRequest(mcpUrl, { headers: { ...POST_HEADERS, host: `mcp.internal.example:${port}` }, body: initializeBody });
    assert.equal(response.status, 200, response.text);
  });

  test('the legacy SSE endpoint applies the same Origin check', T, async () => {
    const response = await rawRequest(`http://127.0.0.1:${port}/sse`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', host: `127.0.0.1:${port}`, origin: 'https://evil.example' },
    });
    assert.equal(response.status, 403);
  });

  test('a WebSocket upgrade with Origin https://evil.example is refused; without Origin it works', T, async () => {
    const wsUrl = `ws://127.0.0.1:${port}/mcp`;
    await assert.rejects(WsPeer.open(wsUrl, { origin: 'https://evil.example' }), (error: { statusCode?: number }) => error.statusCode === 403);
    const peer = await WsPeer.open(wsUrl);
    try {
      const init = await peer.request(1, 'initialize', INITIALIZE);
      assert.equal(init.result.protocolVersion, LATEST_2025);
    } finally {
      await peer.close();
    }
  });
});

describe('2025 standalone GET stream: resumption', () => {
  let running: RunningServer;
  let sessionId: string;
  let dynamic = 0;
  const getHeaders = (lastEventId?: string): Record<string, string> => {
    const headers: Record<string, string> = { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_2025 };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    return headers;
  };
  /** Registering a tool broadcasts notifications/tools/list_changed to every session's channel. */
  const triggerListChanged = () => running.server.tool({ name: `hardening_dynamic_${++dynamic}`, description: 'appears', handler: () => 'x' });
  const isListChanged = (message: any) => message.method === 'notifications/tools/list_changed';

  before(async () => {
    running = await startFixture();
    ({ sessionId } = await initializeSession(running.url));
  });

  after(async () => {
    await running?.close();
  });

  test('Last-Event-ID of an unknown stream of the own session: 404, not an empty 200', T, async () => {
    for (const lastEventId of [`${sessionId}.9999_0`, `${sessionId}.9999_-1`, `${sessionId}.9999_5`]) {
      const response = await openSse(running.url, getHeaders(lastEventId));
      assert.equal(response.status, 404, `${lastEventId}: ${response.contentType}`);
      assert.equal(response.body?.error?.code, -32600);
    }
  });

  test('resuming the open GET stream from its priming id moves it to the new connection, which gets later notifications', T, async () => {
    const first = await openSse(running.url, getHeaders());
    let second: OpenSse | undefined;
    try {
      assert.equal(first.status, 200);
      const priming = await first.next();
      assert.ok(priming?.id?.endsWith('_-1'), `priming event id (got ${JSON.stringify(priming)})`);
      const streamId = priming!.id!.slice(0, -'_-1'.length);
      assert.ok(streamId.startsWith(`${sessionId}.`));

      second = await openSse(running.url, getHeaders(priming!.id));
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.match(second.contentType, /^text\/event-stream/);
      // The superseded connection is ended by the server.
      assert.equal(await first.next(), undefined, 'the first GET ends');

      triggerListChanged();
      const { id, message } = await nextMessage(second);
      assert.ok(isListChanged(message), JSON.stringify(message));
      assert.equal(id, `${streamId}_0`);
    } finally {
      first.close();
      second?.close();
    }
  });

  test('a dropped GET stream keeps collecting notifications, replayed on resumption', T, async () => {
    const session = running.server.engine.sessions.get(sessionId)!;
    await waitFor(() => session.busy === 0, 3_000, 'no open GET from the previous test');
    const first = await openSse(running.url, getHeaders());
    // Without Last-Event-ID the standing stream is re-attached; its events continue the same stream ids.
    const priming = await first.next();
    assert.ok(priming?.id?.endsWith('_-1'));
    const streamId = priming!.id!.slice(0, -'_-1'.length);
    triggerListChanged();
    const seen = await nextMessage(first);
    assert.ok(isListChanged(seen.message));
    assert.ok(seen.id?.startsWith(`${streamId}_`));

    first.close();
    await waitFor(() => session.busy === 0, 3_000, 'the server noticed the dropped GET');
    triggerListChanged();

    const resumed = await openSse(running.url, getHeaders(seen.id));
    try {
      assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
      const replayed = await nextMessage(resumed);
      assert.ok(isListChanged(replayed.message), JSON.stringify(replayed.message));
      assert.equal(replayed.id, `${streamId}_${Number(seen.id!.slice(streamId.length + 1)) + 1}`);
      // The resumed connection is the live stream again.
      triggerListChanged();
      const live = await nextMessage(resumed);
      assert.ok(isListChanged(live.message));
      assert.equal(live.id, `${streamId}_${Number(replayed.id!.slice(streamId.length + 1)) + 1}`);
    } finally {
      resumed.close();
    }
  });
});

describe('2025 standalone GET stream: resumption after the event store evicted it', () => {
  let server: McpServer;
  let url: string;
  const store = new MemoryEventStore({ maxBytes: 1_000 });
  let dynamic = 0;

  before(async () => {
    server = buildConformanceServer();
    url = (await server.listenHttp({ host: '127.0.0.1', port: 0, eventStore: store })).url;
  });

  after(async () => {
    await server?.close();
  });

  test('events lost to eviction are reported (404), never skipped silently', T, async () => {
    const { sessionId } = await initializeSession(url);
    const session = server.engine.sessions.get(sessionId)!;
    const headers = (lastEventId?: string): Record<string, string> => ({
      'mcp-session-id': sessionId,
      'mcp-protocol-version': LATEST_2025,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    });
    const trigger = () => server.tool({ name: `evicted_dynamic_${++dynamic}`, description: 'appears', handler: () => 'x' });

    const first = await openSse(url, headers());
    const priming = await first.next();
    assert.ok(priming?.id?.endsWith('_-1'));
    trigger(); // A: seen live
    const seen = await nextMessage(first);
    first.close();
    await waitFor(() => session.busy === 0, 3_000, 'the server noticed the dropped GET');

    trigger(); // B: stored while the client is away
    store.append('other-traffic', 'x'.repeat(990)); // other streams' traffic pushes the GET stream out of the budget
    trigger(); // C: stored again after the eviction

    // B is gone: a complete resumption is impossible, so the server must say so rather than answer an empty 200.
    const resumed = await openSse(url, headers(seen.id));
    try {
      if (resumed.status === 200) {
        const replayed = [await nextMessage(resumed, 1_000).catch(() => undefined), await nextMessage(resumed, 1_000).catch(() => undefined)];
        assert.fail(`resumed from ${seen.id} with 200, replaying ${JSON.stringify(replayed.map((event) => event?.id))}; event B was evicted and is lost silently`);
      }
      assert.equal(resumed.status, 404);
    } finally {
      resumed.close();
    }
  });

  test('resuming from the priming id after the stored events were evicted: 404, not an empty 200', T, async () => {
    const { sessionId } = await initializeSession(url);
    const session = server.engine.sessions.get(sessionId)!;
    const headers = (lastEventId?: string): Record<string, string> => ({
      'mcp-session-id': sessionId,
      'mcp-protocol-version': LATEST_2025,
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
    });
    const first = await openSse(url, headers());
    const priming = await first.next();
    assert.ok(priming?.id?.endsWith('_-1'));
    first.close();
    await waitFor(() => session.busy === 0, 3_000, 'the server noticed the dropped GET');

    server.tool({ name: `evicted_dynamic_${++dynamic}`, description: 'appears', handler: () => 'x' }); // stored while away
    store.append('other-traffic-2', 'x'.repeat(990)); // evicts it

    const resumed = await openSse(url, headers(priming!.id));
    try {
      if (resumed.status === 200) {
        const replayed = await nextMessage(resumed, 1_000).catch(() => undefined);
        assert.ok(replayed, `resumed from ${priming!.id} with 200 and nothing replayed: the evicted notification is lost silently`);
      } else {
        assert.equal(resumed.status, 404);
      }
    } finally {
      resumed.close();
    }
  });
});

/** Opens a legacy HTTP+SSE session on the fixture: its base URL, its stream and its session id. */
async function openLegacySession(running: RunningServer): Promise<{ base: string; legacy: OpenSse; legacyId: string }> {
  const base = running.url.replace(/\/mcp$/, '');
  const legacy = await openSse(`${base}/sse`, {});
  assert.equal(legacy.status, 200);
  const endpoint = await legacy.next();
  assert.equal(endpoint?.event, 'endpoint');
  const match = /^\/messages\?sessionId=(.+)$/.exec(endpoint!.data);
  assert.ok(match, endpoint!.data);
  return { base, legacy, legacyId: match[1]! };
}

describe('legacy HTTP+SSE session ids are not Streamable HTTP sessions', () => {
  let running: RunningServer;
  let base: string;
  let legacy: OpenSse;
  let legacyId: string;

  before(async () => {
    running = await startFixture();
    ({ base, legacy, legacyId } = await openLegacySession(running));
  });

  after(async () => {
    legacy?.close();
    await running?.close();
  });

  test('POST /mcp with the legacy id as Mcp-Session-Id: 404', T, async () => {
    const response = await sessionPost(running.url, legacyId, { id: 1, method: 'tools/list', params: {} });
    assert.equal(response.status, 404, response.text);
    assert.equal(response.json.error.code, -32001);
    // A client response (to a server request) is refused the same way.
    const answer = await rawRequest(running.url, { headers: sessionHeaders(legacyId), body: JSON.stringify({ jsonrpc: '2.0', id: 's1', result: {} }) });
    assert.equal(answer.status, 404);
  });

  test('GET /mcp with the legacy id: 404', T, async () => {
    const response = await openSse(running.url, { 'mcp-session-id': legacyId, 'mcp-protocol-version': LATEST_2025 });
    assert.equal(response.status, 404);
  });

  test('DELETE /mcp with the legacy id: 404, and the legacy stream stays usable', T, async () => {
    const response = await rawRequest(running.url, { method: 'DELETE', headers: { 'mcp-session-id': legacyId, 'mcp-protocol-version': LATEST_2025 } });
    assert.equal(response.status, 404);
    const session = running.server.engine.sessions.get(legacyId);
    assert.ok(session && !session.closed, 'the legacy session is still open');

    const posted = await rawRequest(`${base}/messages?sessionId=${legacyId}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'legacy-init', method: 'initialize', params: { ...INITIALIZE, protocolVersion: '2024-11-05' } }),
    });
    assert.equal(posted.status, 202);
    const answer = await nextMessage(legacy);
    assert.equal(answer.message.id, 'legacy-init');
    assert.equal(answer.message.result.protocolVersion, '2024-11-05');
  });
});

describe('Content-Type: the media type must be application/json itself', () => {
  let running: RunningServer;
  let base: string;
  let legacy: OpenSse;
  let legacyId: string;

  before(async () => {
    running = await startFixture();
    ({ base, legacy, legacyId } = await openLegacySession(running));
  });

  after(async () => {
    legacy?.close();
    await running?.close();
  });

  const initializeBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE });

  for (const contentType of ['text/plain; x=application/json', 'text/plain;application/json', 'application/jsonx', 'application/json-seq', 'text/application/json']) {
    test(`POST /mcp with "${contentType}": 415`, T, async () => {
      const response = await rawRequest(running.url, { headers: { ...POST_HEADERS, 'content-type': contentType }, body: initializeBody });
      assert.equal(response.status, 415, response.text);
      assert.equal(response.json.error.code, -32600);
    });
  }

  for (const contentType of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
    test(`POST /mcp with "${contentType}" is accepted`, T, async () => {
      const response = await rawRequest(running.url, { headers: { ...POST_HEADERS, 'content-type': contentType }, body: initializeBody });
      assert.equal(response.status, 200, response.text);
    });
  }

  test('POST /messages with "text/plain; x=application/json": 415; with application/json: 202', T, async () => {
    const url = `${base}/messages?sessionId=${legacyId}`;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'ping-1', method: 'ping' });
    const refused = await rawRequest(url, { headers: { 'content-type': 'text/plain; x=application/json' }, body });
    assert.equal(refused.status, 415, refused.text);
    assert.equal(refused.json.error.code, -32600);
    const accepted = await rawRequest(url, { headers: { 'content-type': 'application/json' }, body });
    assert.equal(accepted.status, 202);
    const answer = await nextMessage(legacy);
    assert.equal(answer.message.id, 'ping-1', 'only the accepted POST was handled');
  });
});
