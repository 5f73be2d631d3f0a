/**
 * The HTTP listener: routes the MCP endpoint (Streamable HTTP), the legacy
 * HTTP+SSE endpoints and WebSocket upgrades, after the DNS-rebinding check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Identity } from '../../api/types.js';
import type { Engine } from '../../protocol/engine.js';
import type { Authenticator, AuthOutcome } from '../../security/auth/authenticator.js';
import { clientAddress, isTrustedPeer, parseTrustedProxies } from '../../security/client-address.js';
import { ConnectionLimiter } from '../../security/connection-limit.js';
import { CorsPolicy } from '../../security/cors.js';
import { checkHostOrigin, isLoopbackAddress, loopbackPolicy, publicBindPolicy, type HostOriginPolicy } from '../../security/host-origin.js';
import { MemoryEventStore, type EventStore } from './event-store.js';
import { LegacySseHandler } from './legacy-sse.js';
import { sendJsonError, StreamableHttpHandler } from './streamable.js';

export interface HttpTransportOptions {
  host: string;
  port: number;
  /** The MCP endpoint. */
  path: string;
  maxBodyBytes: number;
  /** Largest request head (request line + headers); larger ones get 431 from Node's parser. */
  maxHeaderBytes: number;
  /** Time allowed to send the whole request head. */
  headersTimeoutMs: number;
  /** Open connections per peer address (0: no cap); trusted proxies are exempt. */
  maxConnectionsPerIp: number;
  /** Browser origins that get CORS headers (none by default). */
  corsOrigins: readonly string[];
  corsMaxAgeSec: number;
  /**
   * DNS-rebinding and cross-site protection. `'loopback'` (default): Host and Origin checks for loopback
   * binds, Origin checks (none allowed) for other binds. `'off'` disables them (tests, trusted proxies).
   */
  hostOriginPolicy: HostOriginPolicy | 'loopback' | 'off';
  /** Resumable 2025-era SSE streams; `false` disables. */
  eventStore: EventStore | false;
  sseKeepAliveMs: number;
  sseRetryMs: number;
  /** Serve the 2024-11-05 HTTP+SSE transport at `/sse` + `/messages`. */
  legacySse: boolean;
  /** Accept WebSocket upgrades on the MCP endpoint. */
  websocket: boolean;
  /** Extra GET endpoints (health, metrics), by path. */
  routes: ReadonlyMap<string, RouteHandler>;
  /** Requests handled at once on the MCP endpoint; more get 503 with Retry-After. */
  maxInFlight: number;
  /** Called when a request is refused for overload or drain (for metrics). */
  onRejected?: (reason: 'overload' | 'draining' | 'connections') => void;
  /** Authentication of every MCP endpoint (Streamable HTTP, legacy SSE, WebSocket); none when absent. */
  authenticator?: Authenticator;
  /** Proxies whose X-Forwarded-For is believed for the client address. */
  trustedProxies: readonly string[];
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export const DEFAULT_HTTP_OPTIONS: HttpTransportOptions = {
  host: '127.0.0.1',
  port: 3000,
  path: '/mcp',
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 20_000,
  maxConnectionsPerIp: 0,
  corsOrigins: [],
  corsMaxAgeSec: 600,
  hostOriginPolicy: 'loopback',
  eventStore: new MemoryEventStore(),
  sseKeepAliveMs: 15_000,
  sseRetryMs: 1000,
  legacySse: true,
  websocket: true,
  routes: new Map(),
  maxInFlight: Number.POSITIVE_INFINITY,
  trustedProxies: [],
};

export class HttpTransport {
  readonly server: Server;
  readonly streamable: StreamableHttpHandler;
  readonly legacy: LegacySseHandler | undefined;
  private readonly policy: HostOriginPolicy | undefined;
  private readonly options: HttpTransportOptions;
  private readonly cors: CorsPolicy;
  private readonly connections: ConnectionLimiter;
  private websocketClose: (() => void) | undefined;
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly engine: Engine,
    options: Partial<HttpTransportOptions> = {},
  ) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...options };
    if (options.eventStore === undefined) this.options.eventStore = new MemoryEventStore();
    const policy = this.options.hostOriginPolicy;
    // 'loopback' (the default) is the safe policy for the bind: full Host/Origin checks on loopback,
    // Origin-only checks elsewhere (a browser page must never reach the server unless allowed).
    this.policy =
      policy === 'off' ? undefined : policy === 'loopback' ? (isLoopbackAddress(this.options.host) ? loopbackPolicy() : publicBindPolicy()) : policy;
    const proxies = parseTrustedProxies(this.options.trustedProxies);
    this.streamable = new StreamableHttpHandler(engine, {
      clientAddressOf: (req) => clientAddress(req, proxies),
      challenge: this.options.authenticator ? (scopes) => this.options.authenticator!.challenge('insufficient_scope', scopes) : undefined,
      maxBodyBytes: this.options.maxBodyBytes,
      eventStore: this.options.eventStore || undefined,
      sseKeepAliveMs: this.options.sseKeepAliveMs,
      sseRetryMs: this.options.sseRetryMs,
    });
    this.legacy = this.options.legacySse ? new LegacySseHandler(engine, this.options.maxBodyBytes, this.options.sseKeepAliveMs) : undefined;
    this.cors = new CorsPolicy(this.options.corsOrigins, this.options.corsMaxAgeSec);
    const headersTimeout = this.options.headersTimeoutMs;
    this.server = createServer(
      {
        keepAliveTimeout: 65_000,
        maxHeaderSize: this.options.maxHeaderBytes,
        headersTimeout,
        requestTimeout: Math.max(300_000, headersTimeout),
        // Node checks the header deadline on this interval (30 s by default, which would stretch a short deadline).
        connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(headersTimeout / 2))),
      },
      (req, res) => this.route(req, res),
    );
    this.connections = new ConnectionLimiter(
      this.options.maxConnectionsPerIp,
      (address) => isTrustedPeer(address, proxies),
      () => this.options.onRejected?.('connections'),
    );
    this.connections.attach(this.server);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (this.connections.isRefused(req.socket)) {
      res.destroy();
      return;
    }
    if (this.policy) {
      const verdict = checkHostOrigin(this.policy, req.headers.host, req.headers.origin);
      if (!verdict.ok) {
        req.resume();
        return sendJsonError(res, 403, null, { code: -32000, message: `Forbidden: ${verdict.reason}` });
      }
    }
    if (req.method === 'OPTIONS') return this.cors.preflight(req, res);
    if (this.cors.enabled) this.cors.decorate(req, res);
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === this.options.path) {
      if (req.method === 'POST' && !this.admit(req, res)) return;
      return this.withIdentity(req, res, (identity) => this.streamable.handle(req, res, identity));
    }
    const route = req.method === 'GET' || req.method === 'HEAD' ? this.options.routes.get(path) : undefined;
    if (route) {
      const pending = route(req, res);
      if (pending) pending.catch((error) => this.fail(res, error));
      return;
    }
    if (this.legacy && (path === '/sse' || path === '/messages')) {
      return this.withIdentity(req, res, (identity) => this.legacy!.handle(req, res, path, url, identity));
    }
    req.resume();
    sendJsonError(res, 404, null, { code: -32601, message: `Not Found: ${path}` });
  }

  /** Authenticates (when configured), then runs `handle` with the caller's identity; refusals answer here. */
  private withIdentity(req: IncomingMessage, res: ServerResponse, handle: (identity: Identity | undefined) => Promise<void> | void): void {
    const run = (identity: Identity | undefined) => {
      const pending = handle(identity);
      if (pending) pending.catch((error) => this.fail(res, error));
    };
    const authenticator = this.options.authenticator;
    if (!authenticator) return run(undefined);
    const refuse = (outcome: Extract<AuthOutcome, { ok: false }>) => {
      req.resume();
      sendJsonError(res, outcome.status, null, { code: -32001, message: outcome.message, data: { errorCode: 'UNAUTHENTICATED' } }, outcome.headers);
    };
    const outcome = authenticator.authenticate(req);
    if (!(outcome instanceof Promise)) return outcome.ok ? run(outcome.identity) : refuse(outcome);
    outcome.then((settled) => (settled.ok ? run(settled.identity) : refuse(settled)), (error) => this.fail(res, error));
  }

  /**
   * Admission of a POST to the MCP endpoint: refused with 503 while draining or
   * over the in-flight cap (refusing beats queueing without bound); counted
   * until its response is finished.
   */
  private admit(req: IncomingMessage, res: ServerResponse): boolean {
    const refusal = this.draining ? 'draining' : this.inFlight >= this.options.maxInFlight ? 'overload' : undefined;
    if (refusal) {
      req.resume();
      this.options.onRejected?.(refusal);
      const headers: Record<string, string> = { 'retry-after': '1' };
      if (refusal === 'draining') headers.connection = 'close';
      sendJsonError(res, 503, null, { code: -32005, message: refusal === 'draining' ? 'Server is shutting down; retry on another instance' : 'Server is overloaded; retry later', data: { errorCode: 'UNAVAILABLE' } }, headers);
      return false;
    }
    this.inFlight++;
    res.once('close', () => {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    return true;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Graceful drain: stop accepting connections, refuse new requests on open
   * ones, end notification streams cleanly (2025 clients resume elsewhere with
   * Last-Event-ID), and wait for in-flight requests up to the deadline.
   * Resolves true when everything finished in time.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    this.draining = true;
    this.server.close();
    this.server.closeIdleConnections();
    this.streamable.closeStandaloneStreams();
    this.legacy?.closeAll();
    this.websocketClose?.();
    this.websocketClose = undefined;
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private fail(res: ServerResponse, error: unknown): void {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'http handler failed', err: error instanceof Error ? error.stack : String(error) })}\n`);
    sendJsonError(res, 500, null, { code: -32603, message: 'Internal error' });
  }

  async listen(): Promise<AddressInfo> {
    if (this.options.websocket) {
      const { attachWebSocket } = await import('../websocket.js');
      this.websocketClose = attachWebSocket(this.server, this.engine, {
        path: this.options.path,
        policy: this.policy,
        maxPayloadBytes: this.options.maxBodyBytes,
        authenticator: this.options.authenticator,
      });
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    this.streamable.closeAll();
    this.legacy?.closeAll();
    this.websocketClose?.();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
