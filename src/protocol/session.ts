/**
 * A 2025-era session: what initialize negotiated, and the little live state a
 * connection needs. Nothing here grows with the number of requests served:
 * in-flight requests and pending server-to-client requests are removed the moment
 * they settle, and the maps themselves are created only when first needed.
 */
import { randomUUID } from 'node:crypto';
import type { Identity, LogLevel, Transport } from '../api/types.js';
import { McpdError } from '../chassis/errors.js';
import type { JsonRpcId, JsonRpcResponse, Params } from './jsonrpc.js';
import { serializeRequest } from './jsonrpc.js';

/** Where messages go that belong to no request: the GET stream, the socket, stdout. */
export interface SessionChannel {
  /** Returns false when the message could not be delivered (no open stream). */
  send(message: string): boolean;
}

/** A request in flight that a cancellation can stop. */
export interface Abortable {
  abort(reason: unknown): void;
}

interface PendingClientRequest {
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  cleanup: (() => void) | undefined;
}

export interface ClientRequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The path to the client: the related request's stream, or the session channel. */
  send: (message: string) => void;
}

export class Session {
  readonly id: string;
  readonly transport: Transport;
  readonly createdAt = Date.now();
  protocolVersion = '';
  clientInfo: Record<string, unknown> | undefined;
  clientCapabilities: Record<string, unknown> = {};
  /** Set by logging/setLevel; undefined means the client did not ask for log messages. */
  logLevel: LogLevel | undefined;
  initialized = false;
  identity: Identity | undefined;
  lastActivity = Date.now();
  /** Requests being handled plus open streams: while non-zero the session is never reaped. */
  busy = 0;
  channel: SessionChannel | undefined;
  subscriptions: Set<string> | undefined;
  private inFlight: Map<JsonRpcId, Abortable> | undefined;
  private pending: Map<JsonRpcId, PendingClientRequest> | undefined;
  private nextRequestId = 0;
  closed = false;
  private onClose: Set<() => void> | undefined;

  constructor(transport: Transport, id: string = randomUUID()) {
    this.id = id;
    this.transport = transport;
  }

  touch(): void {
    this.lastActivity = Date.now();
  }

  /** Registers a client request so that notifications/cancelled can abort it. */
  track(id: JsonRpcId, request: Abortable): void {
    (this.inFlight ??= new Map()).set(id, request);
  }

  isInFlight(id: JsonRpcId): boolean {
    return this.inFlight?.has(id) ?? false;
  }

  untrack(id: JsonRpcId): void {
    this.inFlight?.delete(id);
  }

  cancel(id: JsonRpcId, reason: string): void {
    this.inFlight?.get(id)?.abort(new McpdError('CANCELLED', reason));
  }

  get inFlightCount(): number {
    return this.inFlight?.size ?? 0;
  }

  /** Sends a server-to-client request and waits for the client's response. */
  request(method: string, params: Params, options: ClientRequestOptions): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new McpdError('UNAVAILABLE', 'Session is closed'));
    const id = `s${++this.nextRequestId}`;
    const pending = (this.pending ??= new Map());
    return new Promise((resolve, reject) => {
      const entry: PendingClientRequest = { resolve, reject, timer: undefined, cleanup: undefined };
      const settle = () => {
        pending.delete(id);
        if (entry.timer) clearTimeout(entry.timer);
        entry.cleanup?.();
      };
      entry.resolve = (result) => {
        settle();
        resolve(result);
      };
      entry.reject = (error) => {
        settle();
        reject(error);
      };
      if (options.timeoutMs !== undefined) {
        entry.timer = setTimeout(
          () => entry.reject(new McpdError('TIMEOUT', `Client did not answer ${method} in time`)),
          options.timeoutMs,
        );
        entry.timer.unref();
      }
      const signal = options.signal;
      if (signal) {
        if (signal.aborted) {
          entry.reject(new McpdError('CANCELLED', `${method} was cancelled`));
          return;
        }
        const onAbort = () => entry.reject(new McpdError('CANCELLED', `${method} was cancelled`));
        signal.addEventListener('abort', onAbort, { once: true });
        entry.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      pending.set(id, entry);
      options.send(serializeRequest(id, method, params));
    });
  }

  /** Settles a pending server-to-client request; false if the id is unknown. */
  deliverResponse(response: JsonRpcResponse): boolean {
    const entry = this.pending?.get(response.id as JsonRpcId);
    if (!entry) return false;
    if ('error' in response) {
      // The client's error is untrusted input: only a numeric code and a bounded string message are kept.
      const { code, message } = (response.error ?? {}) as { code?: unknown; message?: unknown };
      const detail = typeof message === 'string' ? message.slice(0, 500) : 'error';
      const clientError = { code: typeof code === 'number' ? code : -1, message: detail };
      entry.reject(new McpdError('UPSTREAM_ERROR', `Client answered with an error: ${detail}`, { data: { clientError } }));
    } else {
      const result = response.result;
      entry.resolve(typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {});
    }
    return true;
  }

  /** Runs `listener` when the session closes; returns a function that removes it. */
  whenClosed(listener: () => void): () => void {
    const listeners = (this.onClose ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight) for (const controller of this.inFlight.values()) controller.abort(new McpdError('CANCELLED', 'Session closed'));
    if (this.pending) for (const entry of [...this.pending.values()]) entry.reject(new McpdError('CANCELLED', 'Session closed'));
    this.inFlight = undefined;
    this.pending = undefined;
    this.channel = undefined;
    const listeners = this.onClose;
    this.onClose = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}
