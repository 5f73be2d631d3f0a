/**
 * The protocol engine: one registry, one middleware pipeline, one dispatch
 * table, serving both protocol eras for every transport. It knows JSON-RPC and
 * MCP, nothing of sockets, HTTP clients or databases.
 */
import { compose, type Middleware } from '../chassis/middleware.js';
import { JsonRpcErrorCode, McpdError, normalizeError, toJsonRpcError } from '../chassis/errors.js';
import { hasScopes } from './scopes.js';
import { RequestContext, type Exchange } from './context.js';
import { checkRoutingHeaders, readEnvelope, type HeaderLookup } from './envelope.js';
import { isLogLevel } from './handler-context.js';
import { serializeError, serializeResult, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from './jsonrpc.js';
import { ListenHub } from './listen-hub.js';
import { decorateStatelessResult, METHODS, type MethodEntry } from './methods/index.js';
import { Registry } from './registry.js';
import { RequestStateCodec } from './request-state.js';
import { DEFAULT_SESSION_LIMITS, SessionManager, type SessionLimits } from './session-manager.js';
import type { Session } from './session.js';
import { DEFAULT_TASK_LIMITS, TASKS_EXTENSION, TaskStore, type TaskLimits } from './tasks/task-store.js';
import { MetaKey, type Era } from './versions.js';

export interface CacheHint {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

export interface EngineOptions {
  name: string;
  version: string;
  title?: string;
  instructions?: string;
  /** HMAC secret for 2026 `requestState`; generated per process when absent (then retries must reach the same replica). */
  requestStateSecret?: string;
  /** How long a server-to-client request (elicitation, sampling, roots) may wait for the client. */
  clientRequestTimeoutMs?: number;
  /** Caching hints on 2026 list results. */
  listCache?: CacheHint;
  sessions?: Partial<SessionLimits>;
  tasks?: Partial<TaskLimits>;
  /**
   * Scope checks: when on, a tool, resource or prompt whose required scopes the
   * caller lacks is hidden from lists and refused with PERMISSION_DENIED.
   * Required scopes are those declared in code plus `toolScopes` (by tool name).
   */
  authorization?: { enforce: boolean; toolScopes?: Readonly<Record<string, readonly string[]>> };
  /** Where unexpected failures are reported (their detail never reaches clients). Default: a JSON line on stderr. */
  onInternalError?: (error: McpdError, ctx: RequestContext) => void;
}

function defaultInternalErrorReport(error: McpdError, ctx: RequestContext): void {
  const cause = error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : String(error.cause ?? error.message);
  process.stderr.write(
    `${JSON.stringify({ level: 'error', msg: 'internal error', request_id: ctx.id, method: ctx.method, session_id: ctx.session?.id, err: cause })}\n`,
  );
}

export type ServerMiddleware = Middleware<RequestContext>;

export class Engine {
  readonly registry = new Registry();
  readonly sessions: SessionManager;
  readonly tasks: TaskStore;
  readonly listen: ListenHub;
  readonly requestState: RequestStateCodec;
  readonly serverInfo: Record<string, unknown>;
  readonly instructions: string | undefined;
  readonly clientRequestTimeoutMs: number;
  readonly listCache: CacheHint;
  private readonly middleware: ServerMiddleware[] = [];
  private readonly closeListeners = new Set<() => void>();
  private readonly internalErrorReport: (error: McpdError, ctx: RequestContext) => void;
  private readonly enforceScopes: boolean;
  private readonly toolScopes: Readonly<Record<string, readonly string[]>>;
  private pipeline: ((ctx: RequestContext) => Promise<void> | void) | undefined;

  constructor(options: EngineOptions) {
    this.serverInfo = { name: options.name, version: options.version };
    if (options.title) this.serverInfo.title = options.title;
    this.instructions = options.instructions;
    this.clientRequestTimeoutMs = options.clientRequestTimeoutMs ?? 10 * 60_000;
    this.listCache = options.listCache ?? { ttlMs: 60_000, cacheScope: 'private' };
    this.sessions = new SessionManager({ ...DEFAULT_SESSION_LIMITS, ...options.sessions });
    this.tasks = new TaskStore({ ...DEFAULT_TASK_LIMITS, ...options.tasks });
    this.listen = new ListenHub(this.sessions);
    this.requestState = new RequestStateCodec(options.requestStateSecret);
    this.registry.onChange((kind) => this.listen.publish({ kind }));
    // Tasks bound to a session are unreachable once it closes: stop them rather than let them run out their TTL.
    this.sessions.on((event, session) => {
      if (event === 'closed' && this.tasks.size > 0) this.tasks.cancelOwnedBy(`session:${session.id}`);
    });
    this.internalErrorReport = options.onInternalError ?? defaultInternalErrorReport;
    this.enforceScopes = options.authorization?.enforce ?? false;
    this.toolScopes = options.authorization?.toolScopes ?? {};
  }

  /** The scopes a caller needs for a tool, resource or prompt. */
  requiredScopes(kind: 'tool' | 'resource' | 'prompt', name: string, declared: readonly string[] | undefined): readonly string[] {
    const configured = kind === 'tool' ? this.toolScopes[name] : undefined;
    if (!configured) return declared ?? [];
    return declared ? [...declared, ...configured] : configured;
  }

  /** May this request's caller use the item? Always, when scope checks are off. */
  allows(ctx: RequestContext, kind: 'tool' | 'resource' | 'prompt', name: string, declared: readonly string[] | undefined): boolean {
    if (!this.enforceScopes) return true;
    return hasScopes(ctx.identity, this.requiredScopes(kind, name, declared));
  }

  /** Refusal for a caller lacking scopes (HTTP 403 with an insufficient_scope challenge). */
  permissionDenied(kind: string, name: string, required: readonly string[]): McpdError {
    return new McpdError('PERMISSION_DENIED', `Not allowed to use ${kind} ${name}`, {
      data: { requiredScopes: [...required] },
      protocol: true,
      httpStatus: 403,
    });
  }

  get scopesEnforced(): boolean {
    return this.enforceScopes;
  }

  reportInternalError(error: McpdError, ctx: RequestContext): void {
    this.internalErrorReport(error, ctx);
  }

  /** Runs once when the engine closes (long-lived streams end gracefully). */
  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Adds a middleware. The pipeline is composed once, at the first request. */
  use(middleware: ServerMiddleware): void {
    if (this.pipeline) throw new Error('Middleware must be added before the server handles requests');
    this.middleware.push(middleware);
  }

  notifyResourceUpdated(uri: string): void {
    this.listen.publish({ kind: 'resource-updated', uri });
  }

  /** Server capabilities, derived from what is registered. */
  capabilities(era: Era): Record<string, unknown> {
    const capabilities: Record<string, unknown> = {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      extensions: { [TASKS_EXTENSION]: {} },
    };
    if (era === 'sessionful') capabilities.logging = {};
    return capabilities;
  }

  /**
   * Handles one request and settles its context with a result or an error; never
   * throws.
   */
  async handle(exchange: Exchange, request: JsonRpcRequest, era: Era): Promise<RequestContext> {
    const ctx = new RequestContext(exchange, request.id, request.method, request.params, era, exchange.session?.protocolVersion ?? '');
    exchange.attach?.(ctx);
    const session = exchange.session;
    if (session?.isInFlight(request.id)) {
      // A second request with an id still in flight would make the first uncancellable.
      ctx.error = new McpdError('VALIDATION_ERROR', `Invalid Request: id ${String(request.id)} is already in flight`, {
        jsonRpcCode: JsonRpcErrorCode.INVALID_REQUEST,
        protocol: true,
      });
      return ctx;
    }
    if (session) {
      session.busy++;
      session.track(request.id, ctx);
    }
    // Envelope and method are checked before the pipeline so middleware sees the negotiated facts;
    // a refusal is raised inside the pipeline so middleware still sees the refused request.
    let entry: MethodEntry | undefined;
    let refusal: unknown;
    try {
      entry = this.prepare(ctx);
    } catch (error) {
      refusal = error;
    }
    ctx.route = entry ?? refusal;
    try {
      await this.run(ctx);
    } catch (error) {
      // A middleware that throws short-circuits the request with its error.
      ctx.error = normalizeError(error);
      if (ctx.error.code === 'INTERNAL') this.reportInternalError(ctx.error, ctx);
    } finally {
      if (session) {
        session.busy--;
        session.untrack(request.id);
        session.touch();
      }
    }
    return ctx;
  }

  /**
   * The innermost step of the pipeline: the method's handler, or the refusal
   * found before the pipeline. A failure becomes `ctx.error`.
   */
  private readonly terminal = async (ctx: RequestContext): Promise<void> => {
    try {
      const route = ctx.route;
      if (!isMethodEntry(route)) throw route;
      ctx.result = await route.handler(ctx, this);
      if (ctx.era === 'stateless') ctx.result = decorateStatelessResult(ctx, this);
    } catch (error) {
      ctx.error = normalizeError(error);
      if (ctx.error.code === 'INTERNAL') this.reportInternalError(ctx.error, ctx);
    }
  };

  private prepare(ctx: RequestContext): MethodEntry {
    if (ctx.era === 'stateless') {
      const header = ctx.exchange.header;
      const envelope = readEnvelope(ctx.params, header);
      if (header) checkRoutingHeaders(ctx, header);
      ctx.protocolVersion = envelope.protocolVersion;
      ctx.clientCapabilities = envelope.clientCapabilities;
      ctx.logLevel = envelope.logLevel;
    } else if (!ctx.protocolVersion && typeof ctx.params.protocolVersion === 'string') {
      ctx.protocolVersion = ctx.params.protocolVersion;
    }
    const entry = METHODS.get(ctx.method);
    if (!entry || (entry.era !== 'both' && entry.era !== ctx.era)) {
      throw new McpdError('METHOD_NOT_FOUND', `Method not found: ${ctx.method}`, {
        protocol: true,
        httpStatus: ctx.era === 'stateless' ? 404 : undefined,
      });
    }
    return entry;
  }

  private run(ctx: RequestContext): Promise<void> | void {
    if (this.middleware.length === 0) return this.terminal(ctx);
    this.pipeline ??= compose(this.middleware, this.terminal);
    return this.pipeline(ctx);
  }

  /** The JSON-RPC response text of a settled request. */
  respond(ctx: RequestContext): string {
    if (!ctx.error) {
      try {
        return serializeResult(ctx.id, ctx.result ?? {});
      } catch (error) {
        // A result JSON cannot represent (BigInt, a cycle) is the handler's bug, not the client's.
        ctx.error = new McpdError('INTERNAL', 'Result could not be serialized', { cause: error });
        this.reportInternalError(ctx.error, ctx);
      }
    }
    return serializeError(ctx.id, toJsonRpcError(ctx.error));
  }

  /** Client notifications: cancellation, initialized, roots changes. */
  handleNotification(exchange: Exchange, notification: JsonRpcNotification): void {
    const session = exchange.session;
    switch (notification.method) {
      case 'notifications/initialized':
        if (session) session.initialized = true;
        return;
      case 'notifications/cancelled': {
        const requestId = notification.params?.requestId;
        if (session && (typeof requestId === 'string' || typeof requestId === 'number')) {
          const reason = typeof notification.params?.reason === 'string' ? notification.params.reason : 'Cancelled by client';
          session.cancel(requestId, reason);
        }
        return;
      }
      default:
        return;
    }
  }

  /** A client's answer to a server-to-client request. */
  handleResponse(session: Session | undefined, response: JsonRpcResponse): boolean {
    return session?.deliverResponse(response) ?? false;
  }

  /**
   * Who a task belongs to: the authenticated subject; without one, the 2025
   * session; without either (anonymous 2026 requests), nobody in particular,
   * and the unguessable task id is the only capability.
   */
  ownerOf(ctx: RequestContext): string | undefined {
    const subject = ctx.identity?.subject;
    if (subject !== undefined) return `subject:${subject}`;
    return ctx.session ? `session:${ctx.session.id}` : undefined;
  }

  /** Ends long-lived notification streams (subscriptions/listen) gracefully; requests go on. */
  endStreams(): void {
    for (const listener of [...this.closeListeners]) listener();
    this.closeListeners.clear();
  }

  close(): void {
    this.endStreams();
    this.sessions.closeAll();
    this.tasks.cancelAll();
  }
}

function isMethodEntry(route: unknown): route is MethodEntry {
  return typeof route === 'object' && route !== null && typeof (route as MethodEntry).handler === 'function';
}

/** Decides the era of a request that arrived without a session. */
export function eraOf(request: JsonRpcRequest | JsonRpcNotification, header?: HeaderLookup): Era {
  const meta = request.params?._meta;
  if (typeof meta === 'object' && meta !== null && MetaKey.protocolVersion in meta) return 'stateless';
  const version = header?.('mcp-protocol-version');
  if (version !== undefined && !version.startsWith('2024') && !version.startsWith('2025')) return 'stateless';
  return 'sessionful';
}

export { isLogLevel, JsonRpcErrorCode };
