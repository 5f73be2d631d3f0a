/**
 * The per-request context every middleware and method handler sees, and the
 * `Exchange` through which a transport hands a request to the engine.
 *
 * RequestContext is a class with a fixed shape so V8 keeps one hidden class on
 * the hot path; its AbortController is created only when someone asks for the
 * signal.
 */
import type { Identity, LogLevel, ServerLogger, Transport } from '../api/types.js';
import type { McpdError } from '../chassis/errors.js';
import { LightSignal } from '../chassis/light-signal.js';
import type { HeaderLookup } from './envelope.js';
import type { JsonRpcId, Params } from './jsonrpc.js';
import type { Session } from './session.js';
import type { Era } from './versions.js';

const noop = (): void => {};

/** What a transport supplies with each request. */
export interface Exchange {
  readonly transport: Transport;
  /** The 2025-era session, when the request belongs to one. */
  readonly session: Session | undefined;
  identity: Identity | undefined;
  /** The caller's network address (HTTP, WebSocket), for per-address limits of anonymous callers. */
  readonly clientAddress?: string;
  /** Reads an HTTP request header by lower-case name (HTTP transports only). */
  readonly header: HeaderLookup | undefined;
  /**
   * Delivers a message tied to this request (progress, log, a server-to-client
   * request) on the request's own stream.
   */
  send(message: string): void;
  /** Called once the engine has built the request's context (to wire cancellation on disconnect). */
  attach?(ctx: RequestContext): void;
  /**
   * Ends the HTTP response of a resumable stream without ending the request: the
   * client reconnects with Last-Event-ID and receives the rest (SSE polling).
   */
  closeStream?(): void;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

export class RequestContext {
  readonly id: JsonRpcId;
  readonly method: string;
  readonly params: Params;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly exchange: Exchange;
  readonly startedAt: number;
  era: Era;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  /** The level the client asked log messages at; undefined: send none. */
  logLevel: LogLevel | undefined;
  /** Set by the handler; visible to middleware after `await next()`. */
  result: unknown = undefined;
  /** Set when the request failed; visible to middleware after `await next()`. */
  error: McpdError | undefined = undefined;
  /** Correlation id for logs and traces (X-Request-Id, traceparent, or generated); set by the logging middleware. */
  requestId: string | undefined = undefined;
  /** The server log for this request's handlers, built on first use (set by the logging middleware). */
  loggerFactory: (() => ServerLogger) | undefined = undefined;
  /** The OpenTelemetry context handlers should parent their spans on (set by the tracing middleware). */
  traceContext: unknown = undefined;
  /** The method entry the request dispatches to, or the reason it is refused (engine-internal). */
  route: unknown = undefined;
  /** Scratch space for middleware (lazily created). */
  private scratch: Record<string, unknown> | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: unknown = undefined;
  /** Created on the first onAbort: what its listeners hang on. */
  private cancellation: LightSignal | undefined = undefined;

  constructor(exchange: Exchange, id: JsonRpcId, method: string, params: Params | undefined, era: Era, protocolVersion: string) {
    this.exchange = exchange;
    this.id = id;
    this.method = method;
    this.params = params ?? (EMPTY as Params);
    const meta = this.params._meta;
    this.meta = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : EMPTY;
    this.era = era;
    this.protocolVersion = protocolVersion;
    this.clientCapabilities = exchange.session?.clientCapabilities ?? (EMPTY as Record<string, unknown>);
    this.logLevel = exchange.session?.logLevel;
    this.startedAt = performance.now();
  }

  get transport(): Transport {
    return this.exchange.transport;
  }

  get session(): Session | undefined {
    return this.exchange.session;
  }

  get identity(): Identity | undefined {
    return this.exchange.identity;
  }

  get state(): Record<string, unknown> {
    return (this.scratch ??= {});
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** See HandlerContext.onAbort: a listener without an AbortController. */
  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.abortReason !== undefined) {
      listener(this.abortReason);
      return noop;
    }
    const signal = (this.cancellation ??= new LightSignal());
    const onAbort = () => listener(signal.reason);
    signal.addEventListener('abort', onAbort);
    return () => signal.removeEventListener('abort', onAbort);
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason ?? new Error('aborted');
    this.controller?.abort(this.abortReason);
    // A handler's faulty listener is logged, never thrown into whoever aborts (a cancellation, a dropped
    // connection, the deadline sweeper).
    this.cancellation?.abort(this.abortReason, (error) => this.loggerFactory?.().error({ err: error }, 'an abort listener threw'));
  }

  /** Milliseconds since the request arrived. */
  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}
