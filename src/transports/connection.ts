/**
 * A message connection: one bidirectional channel carrying JSON-RPC messages
 * (stdio, a WebSocket, a legacy HTTP+SSE pair). It owns one 2025-era session and
 * also answers 2026-era requests that carry their own envelope.
 */
import type { Identity, Transport } from '../api/types.js';
import { JsonRpcErrorCode, McpdError } from '../chassis/errors.js';
import type { Exchange, RequestContext } from '../protocol/context.js';
import { eraOf, type Engine } from '../protocol/engine.js';
import { classify, parseJson, serializeError, type JsonRpcId } from '../protocol/jsonrpc.js';
import type { Session } from '../protocol/session.js';

export class MessageConnection {
  readonly session: Session;
  private readonly sessionful: Exchange;
  private readonly stateless: Exchange;
  private closed = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  /** 2026-era requests have no session to track them: the connection does, to cancel and abort them. */
  private readonly statelessInFlight = new Map<JsonRpcId, RequestContext>();

  constructor(
    private readonly engine: Engine,
    transport: Transport,
    private readonly write: (message: string) => void,
    identity?: Identity,
    /** Requests handled at once on this connection; more are refused, not queued. */
    private readonly maxInFlight = 256,
  ) {
    this.session = engine.sessions.create(transport);
    this.session.identity = identity;
    this.session.channel = { send: (message) => (this.closed ? false : (write(message), true)) };
    // A connection is its own liveness: never reaped while open.
    this.session.busy++;
    const send = (message: string) => {
      if (!this.closed) write(message);
    };
    this.sessionful = { transport, session: this.session, identity, header: undefined, send };
    this.stateless = {
      transport,
      session: undefined,
      identity,
      header: undefined,
      send,
      attach: (ctx) => this.statelessInFlight.set(ctx.id, ctx),
    };
  }

  /** Handles one received frame (a line, a WebSocket message, a POST body). Never throws. */
  receive(text: string): void {
    try {
      this.dispatch(text);
    } catch (error) {
      process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'message handling failed', err: error instanceof Error ? error.stack : String(error) })}\n`);
    }
  }

  private dispatch(text: string): void {
    const parsed = parseJson(text);
    if (!parsed.ok) return this.write(JSON.stringify({ jsonrpc: '2.0', error: parsed.error }));
    if (Array.isArray(parsed.value)) {
      return this.write(JSON.stringify({ jsonrpc: '2.0', error: { code: JsonRpcErrorCode.INVALID_REQUEST, message: 'Invalid Request: batches are not supported' } }));
    }
    const message = classify(parsed.value);
    switch (message.kind) {
      case 'invalid':
        return this.write(message.id === null ? JSON.stringify({ jsonrpc: '2.0', error: message.error }) : serializeError(message.id, message.error));
      case 'response':
        this.engine.handleResponse(this.session, message.message);
        return;
      case 'notification': {
        const notification = message.message;
        const requestId = notification.params?.requestId;
        if (notification.method === 'notifications/cancelled' && (typeof requestId === 'string' || typeof requestId === 'number')) {
          this.statelessInFlight.get(requestId)?.abort(new McpdError('CANCELLED', 'Cancelled by client'));
        }
        this.engine.handleNotification(eraOf(notification) === 'sessionful' ? this.sessionful : this.stateless, notification);
        return;
      }
      case 'request': {
        const request = message.message;
        if (this.inFlight >= this.maxInFlight) {
          this.write(serializeError(request.id, { code: JsonRpcErrorCode.UNAVAILABLE, message: 'Too many requests in flight on this connection' }));
          return;
        }
        const era = eraOf(request);
        if (era === 'stateless' && this.statelessInFlight.has(request.id)) {
          // Reusing an id still in flight would make the first request unreachable for cancellation.
          this.write(serializeError(request.id, { code: JsonRpcErrorCode.INVALID_REQUEST, message: `Invalid Request: id ${String(request.id)} is already in flight` }));
          return;
        }
        const exchange = era === 'sessionful' ? this.sessionful : this.stateless;
        this.inFlight++;
        void this.engine
          .handle(exchange, request, era)
          .then((ctx) => {
            if (!this.closed) this.write(this.engine.respond(ctx));
          })
          .catch((error: unknown) => process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'response failed', err: String(error) })}\n`))
          .finally(() => {
            if (era === 'stateless') this.statelessInFlight.delete(request.id);
            if (--this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
          });
        return;
      }
    }
  }

  /** Resolves once every request received so far has been answered (end of input). */
  drained(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ctx of this.statelessInFlight.values()) ctx.abort(new McpdError('CANCELLED', 'Connection closed'));
    this.statelessInFlight.clear();
    this.session.busy--;
    this.engine.sessions.terminate(this.session.id);
  }
}
