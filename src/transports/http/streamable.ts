/**
 * Streamable HTTP on one endpoint, both eras:
 *
 * - POST: one JSON-RPC message. A request is answered with `application/json`
 *   unless the handler emits something first (progress, a log line, a
 *   server-to-client request), in which case the response becomes an SSE stream.
 *   Nothing is buffered and no Web `Request` is built: the body is read once,
 *   parsed once, the answer serialized once.
 * - GET: the 2025-era standalone notification stream, or a resumption with
 *   `Last-Event-ID`.
 * - DELETE: ends a 2025-era session.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity, Transport } from '../../api/types.js';
import { JsonRpcErrorCode, McpdError, toJsonRpcError, type JsonRpcErrorBody } from '../../chassis/errors.js';
import type { RequestContext, Exchange } from '../../protocol/context.js';
import { eraOf, type Engine } from '../../protocol/engine.js';
import type { HeaderLookup } from '../../protocol/envelope.js';
import { classify, parseJson, serializeError, type JsonRpcRequest } from '../../protocol/jsonrpc.js';
import type { Session } from '../../protocol/session.js';
import { isSessionfulVersion, type Era } from '../../protocol/versions.js';
import { readBody, BodyTooLarge } from './body.js';
import { streamIdOf, type EventStore } from './event-store.js';
import { LiveStream } from './live-stream.js';
import { SseWriter } from './sse.js';

export interface StreamableHttpOptions {
  maxBodyBytes: number;
  /** The caller's address (trusted-proxy aware); read only when something asks. */
  clientAddressOf?: (req: IncomingMessage) => string | undefined;
  /** The `WWW-Authenticate` value for a caller lacking scopes (403 insufficient_scope). */
  challenge?: (scopes: readonly string[]) => string;
  /** Where 2025-era SSE events are kept for resumption; undefined disables resumability. */
  eventStore: EventStore | undefined;
  /** Interval of SSE keep-alive comments. */
  sseKeepAliveMs: number;
  /** The `retry` hint (ms) sent with priming events. */
  sseRetryMs: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const WHOLE_REQUEST_REFUSALS: ReadonlySet<string> = new Set(['UNAUTHENTICATED', 'PERMISSION_DENIED', 'RATE_LIMITED', 'UNAVAILABLE']);

export function headerLookup(req: IncomingMessage): HeaderLookup {
  const headers = req.headers;
  return (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

export function sendJsonError(res: ServerResponse, status: number, id: string | number | null, error: JsonRpcErrorBody, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS);
  res.end(id === null ? JSON.stringify({ jsonrpc: '2.0', error }) : serializeError(id, error));
}

/** The media type itself, not a substring: `text/plain; x=application/json` is not JSON. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase() === 'application/json';
}

function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept;
  if (accept === undefined) return false;
  return accept.includes(type) || accept.includes('*/*');
}

/** The exchange of one POSTed request: JSON until something must be streamed. */
class PostExchange implements Exchange {
  readonly transport: Transport = 'http';
  identity: Identity | undefined = undefined;
  readonly header: HeaderLookup;
  private writer: SseWriter | undefined;
  private stream: LiveStream | undefined;
  private ctx: RequestContext | undefined;
  private done = false;

  constructor(
    private readonly owner: StreamableHttpHandler,
    private readonly res: ServerResponse,
    readonly session: Session | undefined,
    private readonly era: Era,
    private readonly streamable: boolean,
    header: HeaderLookup,
    private readonly newSession: boolean,
  ) {
    this.header = header;
    res.once('close', () => this.onClose());
  }

  attach(ctx: RequestContext): void {
    this.ctx = ctx;
  }

  get clientAddress(): string | undefined {
    return this.owner.options.clientAddressOf?.(this.res.req) ?? this.res.req.socket.remoteAddress;
  }

  private onClose(): void {
    if (this.done) return;
    // 2026: a dropped stream is the client's cancellation. 2025: the request goes on (resumable).
    if (this.era === 'stateless' || !this.stream) this.ctx?.abort(new McpdError('CANCELLED', 'Client disconnected'));
  }

  private sessionHeaders(): Record<string, string> | undefined {
    return this.session ? { 'mcp-session-id': this.session.id } : undefined;
  }

  private openStream(): void {
    this.writer = SseWriter.open(this.res, this.sessionHeaders(), this.owner.options.sseKeepAliveMs);
    const store = this.owner.options.eventStore;
    if (this.session && store && this.era === 'sessionful') {
      this.stream = this.owner.openLiveStream(this.session, this.writer);
      if (this.session.protocolVersion >= '2025-11-25') this.writer.prime(`${this.stream.id}_-1`, this.owner.options.sseRetryMs);
    }
  }

  send(message: string): void {
    if (this.done || !this.streamable) return;
    if (!this.writer) this.openStream();
    if (this.stream) this.stream.send(message);
    else this.writer!.event(message);
  }

  closeStream(): void {
    if (this.done || !this.streamable) return;
    if (!this.writer) this.openStream();
    this.stream?.disconnect();
  }

  /**
   * 2026: refusals carry their HTTP status (400, 404…). 2025: JSON-RPC errors
   * travel in-band with 200, except refusals of the whole request (auth, limits, overload).
   */
  private statusOf(error: McpdError | undefined): number {
    if (!error || error.httpStatus === undefined) return 200;
    if (this.era === 'stateless') return error.httpStatus;
    return WHOLE_REQUEST_REFUSALS.has(error.code) ? error.httpStatus : 200;
  }

  finish(ctx: RequestContext): void {
    const body = this.owner.engine.respond(ctx);
    if (this.writer) {
      if (this.stream) {
        this.stream.send(body);
        this.owner.closeLiveStream(this.stream);
      } else {
        this.writer.event(body);
        this.writer.end();
      }
      this.done = true;
      return;
    }
    this.done = true;
    if (this.res.writableEnded || this.res.destroyed) return;
    const status = this.statusOf(ctx.error);
    const headers = this.sessionHeaders();
    const length = Buffer.byteLength(body);
    const retryAfterMs = ctx.error?.retryAfterMs;
    if (retryAfterMs !== undefined && (status === 429 || status === 503)) this.res.setHeader('retry-after', String(Math.ceil(retryAfterMs / 1000)));
    const challenge = this.owner.options.challenge;
    if (status === 403 && challenge && ctx.error?.code === 'PERMISSION_DENIED') {
      const scopes = ctx.error.data?.requiredScopes;
      this.res.setHeader('www-authenticate', challenge(Array.isArray(scopes) ? (scopes as string[]) : []));
    }
    if (this.newSession && ctx.error) {
      this.owner.engine.sessions.terminate(this.session!.id);
      this.res.writeHead(status, { ...JSON_HEADERS, 'content-length': length });
    } else {
      this.res.writeHead(status, headers ? { ...JSON_HEADERS, 'content-length': length, ...headers } : { ...JSON_HEADERS, 'content-length': length });
    }
    this.res.end(body);
  }
}

export class StreamableHttpHandler {
  private readonly liveStreams = new Map<string, LiveStream>();
  private readonly standalone = new WeakMap<Session, LiveStream>();
  private streamCounter = 0;

  constructor(
    readonly engine: Engine,
    readonly options: StreamableHttpOptions,
  ) {}

  /**
   * HTTP sessions only (a legacy-SSE or WebSocket session id is not valid here),
   * and only for the identity that created them: another caller's session id
   * looks exactly like an unknown one.
   */
  private session(id: string, identity: Identity | undefined): Session | undefined {
    const session = this.engine.sessions.get(id);
    if (session?.transport !== 'http') return undefined;
    return session.identity?.subject === identity?.subject ? session : undefined;
  }

  get openStreams(): number {
    return this.liveStreams.size;
  }

  openLiveStream(session: Session, writer: SseWriter, standalone = false): LiveStream {
    const stream = new LiveStream(`${session.id}.${standalone ? 'g' : ''}${++this.streamCounter}`, this.options.eventStore, writer);
    this.liveStreams.set(stream.id, stream);
    return stream;
  }

  closeLiveStream(stream: LiveStream): void {
    stream.finish();
    this.liveStreams.delete(stream.id);
  }

  /** `identity`: the authenticated caller (undefined when authentication is off). */
  handle(req: IncomingMessage, res: ServerResponse, identity?: Identity): Promise<void> | void {
    switch (req.method) {
      case 'POST':
        return this.post(req, res, identity);
      case 'GET':
        return this.get(req, res, identity);
      case 'DELETE':
        return this.delete(req, res, identity);
      default:
        res.writeHead(405, { allow: 'GET, POST, DELETE' });
        res.end();
    }
  }

  private async post(req: IncomingMessage, res: ServerResponse, identity: Identity | undefined): Promise<void> {
    if (!isJsonContentType(req.headers['content-type'])) {
      req.resume();
      return sendJsonError(res, 415, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Unsupported Media Type: Content-Type must be application/json' });
    }
    if (!accepts(req, 'application/json') || !accepts(req, 'text/event-stream')) {
      req.resume();
      return sendJsonError(res, 406, null, {
        code: JsonRpcErrorCode.INVALID_REQUEST,
        message: 'Not Acceptable: Accept must list application/json and text/event-stream',
      });
    }
    let text: string;
    try {
      text = await readBody(req, this.options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        return sendJsonError(res, 413, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: `Payload Too Large: limit is ${error.limit} bytes` });
      }
      return sendJsonError(res, 400, null, { code: JsonRpcErrorCode.PARSE_ERROR, message: 'Could not read the request body' });
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return sendJsonError(res, 400, null, parsed.error!);
    if (Array.isArray(parsed.value)) {
      return sendJsonError(res, 400, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Invalid Request: batches are not supported' });
    }
    const message = classify(parsed.value);
    if (message.kind === 'invalid') return sendJsonError(res, 400, message.id, message.error);

    const header = headerLookup(req);
    const sessionId = header('mcp-session-id');

    if (message.kind === 'response') {
      const session = sessionId === undefined ? undefined : this.session(sessionId, identity);
      if (!session) return this.sessionNotFound(res, null, sessionId);
      this.engine.handleResponse(session, message.message);
      res.writeHead(202).end();
      return;
    }

    const era = eraOf(message.message, header);
    let session: Session | undefined;
    let newSession = false;
    if (era === 'sessionful') {
      const id = message.kind === 'request' ? message.message.id : null;
      if (sessionId !== undefined) {
        session = this.session(sessionId, identity);
        if (!session) return this.sessionNotFound(res, id, sessionId);
        if (message.kind === 'request' && message.message.method === 'initialize') {
          return sendJsonError(res, 400, id, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Invalid Request: session is already initialized' });
        }
        const version = header('mcp-protocol-version');
        if (version !== undefined && !isSessionfulVersion(version)) {
          return sendJsonError(res, 400, id, { code: JsonRpcErrorCode.INVALID_REQUEST, message: `Bad Request: unsupported MCP-Protocol-Version ${version}` });
        }
        session.touch();
      } else if (message.kind === 'request' && message.message.method === 'initialize') {
        try {
          session = this.engine.sessions.create('http');
          session.identity = identity;
          newSession = true;
        } catch (error) {
          const refusal = error as McpdError;
          return sendJsonError(res, 503, id, toJsonRpcError(refusal), { 'retry-after': '1' });
        }
      } else {
        return sendJsonError(res, 400, id, {
          code: JsonRpcErrorCode.INVALID_REQUEST,
          message: 'Bad Request: Mcp-Session-Id header is required (or send a 2026-07-28 request with its _meta envelope)',
        });
      }
    }

    if (message.kind === 'notification') {
      const exchange = { transport: 'http' as const, session, identity, header, send: () => {} };
      this.engine.handleNotification(exchange, message.message);
      res.writeHead(202).end();
      return;
    }
    await this.dispatch(res, message.message, era, session, header, newSession, identity);
  }

  private async dispatch(
    res: ServerResponse,
    request: JsonRpcRequest,
    era: Era,
    session: Session | undefined,
    header: HeaderLookup,
    newSession: boolean,
    identity: Identity | undefined,
  ): Promise<void> {
    const exchange = new PostExchange(this, res, session, era, true, header, newSession);
    exchange.identity = identity;
    const ctx = await this.engine.handle(exchange, request, era);
    exchange.finish(ctx);
  }

  private sessionNotFound(res: ServerResponse, id: string | number | null, sessionId: string | undefined): void {
    if (sessionId === undefined) {
      return sendJsonError(res, 400, id, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Bad Request: Mcp-Session-Id header is required' });
    }
    sendJsonError(res, 404, id, { code: -32001, message: 'Session not found' });
  }

  private get(req: IncomingMessage, res: ServerResponse, identity: Identity | undefined): void {
    if (!accepts(req, 'text/event-stream')) {
      return sendJsonError(res, 406, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Not Acceptable: Accept must list text/event-stream' });
    }
    const header = headerLookup(req);
    const sessionId = header('mcp-session-id');
    if (sessionId === undefined) {
      res.writeHead(405, { allow: 'POST' });
      res.end();
      return;
    }
    const session = this.session(sessionId, identity);
    if (!session) return this.sessionNotFound(res, null, sessionId);
    session.touch();
    const lastEventId = header('last-event-id');
    if (lastEventId !== undefined) return this.resume(res, session, lastEventId);

    let stream = this.standalone.get(session);
    if (stream?.connected) {
      return sendJsonError(res, 409, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Conflict: this session already has a notification stream' });
    }
    const writer = SseWriter.open(res, { 'mcp-session-id': session.id }, this.options.sseKeepAliveMs);
    if (!stream) {
      // The standalone stream lives as long as the session: a dropped GET can be resumed with Last-Event-ID.
      const created = this.openLiveStream(session, writer, true);
      stream = created;
      this.standalone.set(session, created);
      session.channel = { send: (message: string) => (created.connected || this.options.eventStore ? (created.send(message), true) : false) };
      session.whenClosed(() => {
        this.standalone.delete(session);
        this.closeLiveStream(created);
      });
    } else {
      stream.attach(writer);
    }
    if (this.options.eventStore && session.protocolVersion >= '2025-11-25') writer.prime(`${stream.id}_-1`, this.options.sseRetryMs);
    this.holdOpen(session, stream, writer);
  }

  /** Counts an open connection as session activity, and lets go of it when it closes. */
  private holdOpen(session: Session, stream: LiveStream, writer: SseWriter): void {
    session.busy++;
    writer.res.once('close', () => {
      session.busy--;
      session.touch();
      stream.detach(writer);
    });
  }

  private resume(res: ServerResponse, session: Session, lastEventId: string): void {
    const store = this.options.eventStore;
    const streamId = streamIdOf(lastEventId);
    const replay: [string, string][] = [];
    const ours = store !== undefined && streamId !== undefined && streamId.startsWith(`${session.id}.`);
    const live = ours ? this.liveStreams.get(streamId) : undefined;
    const replayed = ours && store.replayAfter(lastEventId, (eventId, message) => replay.push([eventId, message])) !== undefined;
    // A live stream that has stored nothing yet is resumable from its priming id.
    const known = replayed || (live !== undefined && !live.finished && live.sent === 0 && lastEventId === `${streamId}_-1`);
    if (!known) {
      // Unknown, expired, or older than what is kept: a silent empty stream would lose messages.
      return sendJsonError(res, 404, null, { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Unknown or expired Last-Event-ID' });
    }
    const writer = SseWriter.open(res, { 'mcp-session-id': session.id }, this.options.sseKeepAliveMs);
    for (const [eventId, message] of replay) writer.event(message, eventId);
    if (live && !live.finished) {
      live.attach(writer);
      this.holdOpen(session, live, writer);
    } else {
      writer.end();
    }
  }

  private delete(req: IncomingMessage, res: ServerResponse, identity: Identity | undefined): void {
    const sessionId = headerLookup(req)('mcp-session-id');
    if (sessionId === undefined) {
      res.writeHead(405, { allow: 'POST' });
      res.end();
      return;
    }
    if (!this.session(sessionId, identity) || !this.engine.sessions.terminate(sessionId)) return this.sessionNotFound(res, null, sessionId);
    res.writeHead(200).end();
  }

  /** Ends every standalone GET stream cleanly (drain): clients resume elsewhere with Last-Event-ID. */
  closeStandaloneStreams(): void {
    for (const stream of this.liveStreams.values()) {
      if (stream.id.includes('.g')) stream.disconnect();
    }
  }

  /** Ends every open stream (drain). */
  closeAll(): void {
    for (const stream of this.liveStreams.values()) stream.finish();
    this.liveStreams.clear();
  }
}
