/**
 * Raw HTTP helpers for integration tests: requests with full control of the
 * headers (Host, no Accept), an incremental SSE parser, and the 2025-era
 * initialize handshake done by hand.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export const LATEST_2025 = '2025-11-25';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/**
 * One HTTP request over node:http (no default headers added, unlike fetch).
 * Resolves with the response even when the server answers before the upload
 * finished and then closes the connection (413).
 */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, value?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value!);
    };
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, text, json });
        };
        res.once('end', done);
        res.once('aborted', done);
        res.once('error', done);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new Error(`request to ${url} timed out`));
    }, options.timeoutMs ?? 8_000);
    // A server that refuses an upload early may reset the socket while we still write: the response, if any, wins.
    req.on('error', (error) => setTimeout(() => finish(error), 200));
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

/** Parses an SSE byte stream into events, as they arrive. Comments are skipped. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event: SseEvent = { data: '' };
        const data: string[] = [];
        let meaningful = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          meaningful = true;
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'retry') event.retry = Number(value);
        }
        if (!meaningful) continue;
        event.data = data.join('\n');
        yield event;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** The JSON-RPC messages of a list of SSE events (events without data, e.g. priming, are skipped). */
export function messagesOf(events: readonly SseEvent[]): any[] {
  return events.filter((event) => event.data.trim() !== '').map((event) => JSON.parse(event.data));
}

export const POST_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
} as const;

/** Headers of a request inside a 2025-era session. */
export function sessionHeaders(sessionId: string, version = LATEST_2025): Record<string, string> {
  return { ...POST_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': version };
}

/** initialize + notifications/initialized over raw fetch; returns the session id. */
export async function initializeSession(url: string, capabilities: Record<string, unknown> = {}): Promise<{ sessionId: string; result: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: POST_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LATEST_2025, capabilities, clientInfo: { name: 'raw-test', version: '1.0.0' } },
    }),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}: ${await response.text()}`);
  const sessionId = response.headers.get('mcp-session-id');
  if (!sessionId) throw new Error('initialize returned no Mcp-Session-Id');
  const body = (await response.json()) as any;
  const initialized = await fetch(url, {
    method: 'POST',
    headers: sessionHeaders(sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    signal: AbortSignal.timeout(5_000),
  });
  await initialized.arrayBuffer();
  if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}`);
  return { sessionId, result: body.result };
}

/** A POST inside a session; parses JSON or a whole SSE body. */
export async function sessionPost(url: string, sessionId: string, message: Record<string, unknown>, extraHeaders: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...sessionHeaders(sessionId), ...extraHeaders },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
    signal: AbortSignal.timeout(8_000),
  });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  let json: any;
  let messages: any[] = [];
  if (type.includes('text/event-stream')) {
    messages = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)));
    json = messages.find((m) => 'id' in m && ('result' in m || 'error' in m));
  } else if (text) {
    try {
      json = JSON.parse(text);
      messages = [json];
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, json, messages, text };
}

/** Polls a condition (server-side effects that follow a response asynchronously). */
export async function waitFor(condition: () => boolean, timeoutMs = 3_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
