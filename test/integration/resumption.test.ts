/**
 * 2025-era resumability of Streamable HTTP: a POST's SSE stream that drops
 * mid-call is resumed with `GET` + `Last-Event-ID`, and the events that were
 * missed (including the final result) arrive exactly once.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CallToolResultSchema, JSONRPCMessageSchema } from '@modelcontextprotocol/core';
import { createServer, type McpServer } from '../../src/index.js';
import { startFixture, type RunningServer } from '../helpers/server.js';
import { initializeSession, messagesOf, sessionHeaders, sseEvents, waitFor, type SseEvent } from '../helpers/http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Server-side record of the tool's lifecycle, to prove the call outlived its stream. */
const record = { started: 0, finished: 0, aborted: 0 };

function buildResumableServer(): McpServer {
  return createServer({ name: 'resumption-probe', version: '1.0.0' }).tool({
    name: 'progress_then_wait',
    description: 'Reports progress, waits, reports again, waits, returns',
    async handler(_args, ctx) {
      record.started++;
      ctx.signal.addEventListener('abort', () => record.aborted++, { once: true });
      ctx.progress(1, 3, 'first');
      await sleep(300);
      ctx.progress(2, 3, 'second');
      await sleep(100);
      record.finished++;
      return 'resumable result';
    },
  });
}

interface OpenedStream {
  response: Response;
  events: AsyncGenerator<SseEvent>;
  controller: AbortController;
  timer: NodeJS.Timeout;
}

/** POSTs a tools/call and returns its (SSE) response, still streaming. */
async function postCall(url: string, sessionId: string, id: number, name: string, progressToken?: string): Promise<OpenedStream> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('test timeout')), 8_000);
  const params: Record<string, unknown> = { name, arguments: {} };
  if (progressToken !== undefined) params._meta = { progressToken };
  const response = await fetch(url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }),
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/, 'the call streams (SSE) because it reports progress');
  assert.equal(response.headers.get('mcp-session-id'), sessionId);
  return { response, events: sseEvents(response.body!), controller, timer };
}

/** GET with Last-Event-ID; reads the whole resumed stream (it ends when the call's stream finishes). */
async function resume(url: string, sessionId: string, lastEventId: string): Promise<{ status: number; events: SseEvent[]; body?: any }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('test timeout')), 8_000);
  try {
    const response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': lastEventId },
      signal: controller.signal,
    });
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      return { status: response.status, events: [], body: await response.json().catch(() => undefined) };
    }
    const events: SseEvent[] = [];
    for await (const event of sseEvents(response.body!)) events.push(event);
    return { status: response.status, events };
  } finally {
    clearTimeout(timer);
  }
}

describe('resumption after a dropped POST stream (own server: progress, wait, result)', () => {
  let running: RunningServer;
  let sessionId: string;

  before(async () => {
    running = await startFixture({}, buildResumableServer);
    ({ sessionId } = await initializeSession(running.url));
  });

  after(async () => {
    await running?.close();
  });

  test('drop after the first event with an id, resume, get the rest exactly once', { timeout: 10_000 }, async () => {
    const startedBefore = record.started;
    const finishedBefore = record.finished;
    const opened = await postCall(running.url, sessionId, 100, 'progress_then_wait', 'tok-100');
    let first: SseEvent | undefined;
    try {
      for await (const event of opened.events) {
        if (event.id !== undefined) {
          first = event;
          break;
        }
      }
    } finally {
      opened.controller.abort(); // drop the connection mid-call
      clearTimeout(opened.timer);
    }
    assert.ok(first?.id, 'the stream carried an event id');
    assert.equal(first!.data, '', 'the first event with an id is the priming event (no message)');
    assert.equal(first!.retry, 1000, 'the priming event carries the retry hint');

    // The call goes on without its connection.
    await waitFor(() => record.started > startedBefore, 3_000, 'the tool to start');
    assert.equal(record.finished, finishedBefore, 'the tool has not finished yet when the stream dropped');

    const resumed = await resume(running.url, sessionId, first!.id!);
    assert.equal(resumed.status, 200);
    const messages = messagesOf(resumed.events);
    for (const message of messages) JSONRPCMessageSchema.parse(message);
    const progress = messages.filter((m) => m.method === 'notifications/progress');
    const results = messages.filter((m) => m.id === 100);
    assert.deepEqual(
      progress.map((m) => m.params.progress),
      [1, 2],
      'both progress notifications, each once',
    );
    assert.ok(progress.every((m) => m.params.progressToken === 'tok-100'));
    assert.equal(results.length, 1, 'the result exactly once');
    CallToolResultSchema.parse(results[0].result);
    assert.equal(results[0].result.content[0].text, 'resumable result');
    assert.equal(messages.length, 3, 'nothing else on the stream');
    const ids = resumed.events.filter((e) => e.data !== '').map((e) => e.id);
    assert.ok(
      ids.every((id) => id !== undefined),
      'every resumed event has an id',
    );
    assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
    assert.equal(record.finished, finishedBefore + 1);
    assert.equal(record.aborted, 0, 'a dropped 2025-era stream does not cancel the call');
  });

  test('resuming after the first progress event replays only what came later', { timeout: 10_000 }, async () => {
    const opened = await postCall(running.url, sessionId, 101, 'progress_then_wait', 'tok-101');
    let lastSeen: SseEvent | undefined;
    try {
      for await (const event of opened.events) {
        if (event.id !== undefined && event.data !== '') {
          lastSeen = event;
          break;
        }
      }
    } finally {
      opened.controller.abort();
      clearTimeout(opened.timer);
    }
    assert.equal(JSON.parse(lastSeen!.data).params.progress, 1);

    const resumed = await resume(running.url, sessionId, lastSeen!.id!);
    const messages = messagesOf(resumed.events);
    assert.deepEqual(
      messages.map((m) => (m.method === 'notifications/progress' ? `progress:${m.params.progress}` : `result:${m.id}`)),
      ['progress:2', 'result:101'],
    );
  });

  /** Starts progress_then_wait and drops the connection right after the priming event; returns its id. */
  async function callAndDropAfterPriming(id: number): Promise<string | undefined> {
    const opened = await postCall(running.url, sessionId, id, 'progress_then_wait', `tok-${id}`);
    try {
      for await (const event of opened.events) if (event.id !== undefined) return event.id;
      return undefined;
    } finally {
      opened.controller.abort();
      clearTimeout(opened.timer);
    }
  }

  test('resuming after the call finished replays the stored events and ends', { timeout: 10_000 }, async () => {
    const primingId = await callAndDropAfterPriming(102);
    await sleep(600); // the call (≈400 ms) completes while no one listens
    const resumed = await resume(running.url, sessionId, primingId!);
    const messages = messagesOf(resumed.events);
    assert.equal(messages.filter((m) => m.id === 102).length, 1);
    assert.equal(messages.filter((m) => m.method === 'notifications/progress').length, 2);
  });

  test('a resumed stream that drops again can be resumed again', { timeout: 10_000 }, async () => {
    const primingId = await callAndDropAfterPriming(104);
    // First resumption: read up to the first progress event, then drop again.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 8_000);
    let secondId: string | undefined;
    try {
      const response = await fetch(running.url, {
        method: 'GET',
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25', 'last-event-id': primingId! },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      for await (const event of sseEvents(response.body!)) {
        if (event.data !== '') {
          assert.equal(JSON.parse(event.data).params.progress, 1);
          secondId = event.id;
          break;
        }
      }
    } finally {
      controller.abort();
      clearTimeout(timer);
    }
    assert.ok(secondId);
    const resumed = await resume(running.url, sessionId, secondId!);
    assert.deepEqual(
      messagesOf(resumed.events).map((m) => (m.method === 'notifications/progress' ? `progress:${m.params.progress}` : `result:${m.id}`)),
      ['progress:2', 'result:104'],
    );
  });

  test('2025-06-18 session (no priming event): resume from the last real event id', { timeout: 10_000 }, async () => {
    const init = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
      }),
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(((await init.json()) as any).result.protocolVersion, '2025-06-18');
    const oldSession = init.headers.get('mcp-session-id')!;
    const opened = await postCall(running.url, oldSession, 105, 'progress_then_wait', 'tok-105');
    let first: SseEvent | undefined;
    try {
      for await (const event of opened.events) {
        first = event;
        break;
      }
    } finally {
      opened.controller.abort();
      clearTimeout(opened.timer);
    }
    assert.ok(first!.id, 'the first event carries an id');
    assert.equal(JSON.parse(first!.data).params.progress, 1, 'no priming event before 2025-11-25');
    const resumed = await resume(running.url, oldSession, first!.id!);
    assert.deepEqual(
      messagesOf(resumed.events).map((m) => (m.method === 'notifications/progress' ? `progress:${m.params.progress}` : `result:${m.id}`)),
      ['progress:2', 'result:105'],
    );
  });

  test('a Last-Event-ID of another session or an unknown stream is refused', { timeout: 10_000 }, async () => {
    const other = await initializeSession(running.url);
    const opened = await postCall(running.url, sessionId, 103, 'progress_then_wait', 'tok-103');
    let eventId: string | undefined;
    try {
      for await (const event of opened.events) {
        if (event.id !== undefined) {
          eventId = event.id;
          break;
        }
      }
    } finally {
      opened.controller.abort();
      clearTimeout(opened.timer);
    }
    const foreign = await resume(running.url, other.sessionId, eventId!);
    assert.equal(foreign.status, 404, 'another session cannot read this stream');
    const unknown = await resume(running.url, sessionId, 'no-such-stream_3');
    assert.equal(unknown.status, 404);
    // The rightful owner still can (and drains the call before the server closes).
    const owner = await resume(running.url, sessionId, eventId!);
    assert.equal(messagesOf(owner.events).filter((m) => m.id === 103).length, 1);
  });
});

describe('test_reconnection from the conformance fixture (closeStream → resume)', () => {
  let fixture: RunningServer;

  before(async () => {
    fixture = await startFixture({ sseRetryMs: 50 });
  });

  after(async () => {
    await fixture?.close();
  });

  test('raw: the POST stream closes without a response; GET with Last-Event-ID delivers it', { timeout: 10_000 }, async () => {
    const { sessionId } = await initializeSession(fixture.url);
    const opened = await postCall(fixture.url, sessionId, 7, 'test_reconnection');
    const postEvents: SseEvent[] = [];
    try {
      for await (const event of opened.events) postEvents.push(event);
    } finally {
      clearTimeout(opened.timer);
    }
    assert.ok(postEvents.length >= 1, 'the server primed the stream');
    assert.equal(messagesOf(postEvents).length, 0, 'the POST stream ended before the response');
    const last = postEvents.filter((e) => e.id !== undefined).at(-1)!;
    assert.equal(last.retry, 50, 'retry hint from sseRetryMs');

    const resumed = await resume(fixture.url, sessionId, last.id!);
    assert.equal(resumed.status, 200);
    const responses = messagesOf(resumed.events).filter((m) => m.id === 7);
    assert.equal(responses.length, 1, 'the response exactly once');
    CallToolResultSchema.parse(responses[0].result);
    assert.match(responses[0].result.content[0].text, /^Reconnection test completed successfully/);
  });

  test('the official SDK client reconnects by itself', { timeout: 10_000 }, async () => {
    const client = new Client({ name: 'mcpd-resume-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(fixture.url), {
      reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 },
    });
    await client.connect(transport, { timeout: 5_000 });
    try {
      const tokens: string[] = [];
      const result = await client.callTool({ name: 'test_reconnection', arguments: {} }, { timeout: 8_000, onresumptiontoken: (token) => tokens.push(token) });
      CallToolResultSchema.parse(result);
      assert.match((result.content[0] as { text: string }).text, /^Reconnection test completed successfully/);
      assert.ok(tokens.length >= 1, 'the SDK saw resumption tokens');
    } finally {
      await transport.terminateSession().catch(() => {});
      await client.close();
    }
  });
});
