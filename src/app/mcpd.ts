/**
 * The assembled service: engine + transports + chassis (config, logs, metrics,
 * traces, health, lifecycle) from one validated configuration. The CLI runs it;
 * tests and embedders can too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { redactConfig, type McpdConfig } from './config.js';
import { Health } from '../chassis/health.js';
import { Lifecycle } from '../chassis/lifecycle.js';
import { Deadlines } from '../chassis/timeout.js';
import { ALWAYS_REDACTED, createLoggers } from '../observability/logger.js';
import { instrumentationMiddleware, type RequestObserver } from '../observability/instrumentation.js';
import { metricsObserver } from '../observability/metrics-observer.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { requestLogObserver } from '../observability/request-log.js';
import { globalTracerSource, startTracing, tracingMiddleware, tracingObserver, type TracingHandle } from '../observability/tracing.js';
import { McpServer } from '../server.js';
import { MemoryEventStore } from '../transports/http/event-store.js';
import type { HttpTransport, RouteHandler } from '../transports/http/server.js';
import { loopbackPolicy, isLoopbackAddress, publicBindPolicy } from '../security/host-origin.js';
import { Authenticator } from '../security/auth/authenticator.js';
import { RateLimiter } from '../security/rate-limit.js';
import { auditObserver, fileAuditSink, logAuditSink, type AuditSink } from '../security/audit.js';
import { McpdError } from '../chassis/errors.js';
import { CacheHub, type CacheCounters } from '../chassis/cache/index.js';
import type { Identity } from '../api/types.js';
import type { PackHost, ToolPack } from '../api/pack.js';
import { databasePack } from '../packs/database/index.js';
import { filesystemPack } from '../packs/filesystem/index.js';
import { httpPack } from '../packs/http/index.js';
import { rateLimitMiddleware } from '../security/rate-limit-middleware.js';
import { VERSION } from '../version.js';

export interface McpdOptions {
  transport?: 'http' | 'stdio';
  /** Use this logger instead of building one from the config (tests). */
  logger?: Logger;
  /** Registers the user's (and packs') tools, resources and prompts before start. */
  register?: (server: McpServer) => void;
  /** stdio streams (tests). */
  stdio?: Parameters<McpServer['serveStdio']>[0];
  /** Tool packs to serve besides the built-in ones the configuration enables. */
  packs?: readonly ToolPack[];
  /** Extra audit sinks (besides the log stream and `audit.file`). */
  auditSinks?: readonly AuditSink[];
}

export interface Mcpd {
  readonly config: McpdConfig;
  readonly server: McpServer;
  readonly logger: Logger;
  readonly metrics: Metrics | undefined;
  readonly health: Health;
  readonly lifecycle: Lifecycle;
  /** The HTTP transport once started (HTTP mode). */
  http: (HttpTransport & { url: string }) | undefined;
  start(): Promise<void>;
  /** Graceful shutdown; resolves with whether every in-flight request finished before the deadline. */
  shutdown(reason: string): Promise<{ clean: boolean }>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createMcpd(config: McpdConfig, options: McpdOptions = {}): Mcpd {
  const transport = options.transport ?? config.server.transport;
  const { logger, access, audit } = options.logger
    ? { logger: options.logger, access: options.logger, audit: options.logger }
    : createLoggers(config.logging, { stdio: transport === 'stdio' });
  const server = new McpServer({
    name: config.server.name,
    version: VERSION,
    instructions: config.server.instructions,
    requestStateSecret: config.protocol.requestStateSecret,
    clientRequestTimeoutMs: config.protocol.clientRequestTimeoutMs,
    listCache: { ttlMs: config.protocol.listCacheTtlMs, cacheScope: config.protocol.listCacheScope },
    sessions: config.sessions,
    tasks: config.tasks,
    authorization: { enforce: config.auth.mode !== 'none', toolScopes: config.auth.toolScopes },
    onInternalError: (error, ctx) =>
      logger.error({ err: error.cause ?? error, request_id: ctx.requestId, method: ctx.method, session_id: ctx.session?.id }, 'internal error'),
  });
  const engine = server.engine;
  const health = new Health(config.health.checkTimeoutMs);
  const lifecycle = new Lifecycle();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  let http: (HttpTransport & { url: string }) | undefined;
  // One result cache per process; packs claim namespaces of it (host.cache) during setup, after metrics exist.
  const cache: CacheHub = new CacheHub(config.cache, {
    warn: (error) => logger.warn({ err: error, store: config.cache.store }, 'cache store unavailable; lookups miss'),
    counters: (): CacheCounters | undefined => metrics && { hits: metrics.cacheHits, misses: metrics.cacheMisses, errors: metrics.cacheErrors },
  });
  const metrics = config.metrics.enabled
    ? createMetrics({
        processMetrics: config.metrics.processMetrics,
        samplers: {
          sessions: () => engine.sessions.size,
          streams: () => http?.streamable.openStreams ?? 0,
          tasks: () => engine.tasks.size,
          eventLoopLagSeconds: () => {
            const p99 = loopDelay.percentile(99) / 1e9;
            loopDelay.reset();
            return p99;
          },
          cache: cache.memory,
        },
      })
    : undefined;

  // The chassis' instrumentation: one pipeline layer with observers started in this order
  // (log, traces, metrics) and finished in reverse, under the request deadline.
  const tracerSource = globalTracerSource();
  const observers: RequestObserver<any>[] = [
    requestLogObserver(logger, access, (tool) => sensitiveFieldsOf(tool), [...ALWAYS_REDACTED, ...config.logging.redact]),
  ];
  const sensitiveFieldsOf = (tool: string) => engine.registry.tools.get(tool)?.definition.sensitive;
  if (config.audit.enabled) {
    const sinks: AuditSink[] = [logAuditSink(audit), ...(options.auditSinks ?? [])];
    if (config.audit.file) sinks.push(fileAuditSink(config.audit.file));
    observers.push(auditObserver(sinks, sensitiveFieldsOf));
    lifecycle.register({ name: 'audit', stop: async () => void (await Promise.all(sinks.map((sink) => sink.close?.()))) });
  }
  if (config.tracing.enabled && !config.tracing.asyncContext) observers.push(tracingObserver(tracerSource));
  if (metrics) observers.push(metricsObserver(metrics, engine.registry));
  server.use(instrumentationMiddleware(observers, new Deadlines(config.lifecycle.requestTimeoutMs)));
  // Making the span the active one needs a wrapping middleware (context.with around the handler).
  if (config.tracing.enabled && config.tracing.asyncContext) server.use(tracingMiddleware(tracerSource));
  const limiter: { current: RateLimiter | undefined } = { current: undefined };
  if (config.rateLimit.enabled) {
    let lastStoreErrorLog = 0;
    lifecycle.register({
      name: 'rate-limit',
      start: async () => {
        limiter.current = await RateLimiter.create(config.rateLimit, {
          onStoreError: (error) => {
            metrics?.rateLimitStoreErrors.inc();
            // Logged at most every 30 s: an unreachable Redis must not flood the log.
            if (Date.now() - lastStoreErrorLog > 30_000) {
              lastStoreErrorLog = Date.now();
              logger.warn({ err: error, policy: config.rateLimit.onStoreFailure }, 'rate-limit store unavailable');
            }
          },
        });
      },
      stop: () => limiter.current?.close(),
    });
    server.use(
      rateLimitMiddleware(limiter, (decision) => {
        if (!metrics) return;
        const outcome = decision.allowed ? 'allowed' : decision.reason;
        metrics.rateLimitDecisions.series$(outcome, () => ({ outcome })).value++;
      }),
    );
  }

  server.resource({
    uri: 'health://status',
    name: 'health',
    description: 'Liveness and readiness of this server, with every dependency check',
    mimeType: 'application/json',
    read: async () => JSON.stringify({ live: true, ...(await health.readiness()) }),
  });
  server.resource({
    uri: 'config://effective',
    name: 'effective-config',
    description: 'The effective configuration, secrets redacted',
    mimeType: 'application/json',
    scopes: ['admin'],
    read: () => JSON.stringify(redactConfig(config)),
  });
  options.register?.(server);

  // Registered before the packs: started before them, stopped after them.
  lifecycle.register({ name: 'cache', start: () => cache.start(), stop: () => cache.close() });

  // Built-in packs first, then the embedder's; each sees only its host.
  for (const pack of [databasePack(config.database), httpPack(config.httpRequests), filesystemPack(config.filesystem), ...(options.packs ?? [])]) {
    const packLogger = logger.child({ pack: pack.name });
    const host: PackHost = {
      tool: (definition) => void server.tool(definition),
      resource: (definition) => void server.resource(definition),
      resourceTemplate: (definition) => void server.resourceTemplate(definition),
      prompt: (definition) => void server.prompt(definition),
      logger: packLogger,
      readiness: (name, check) => health.register({ name, check }),
      lifecycle: (component) => void lifecycle.register(component),
      metrics: metrics?.registry,
      cache: (namespace) => cache.namespace(namespace, pack.name),
    };
    pack.setup(host);
  }

  const mcpd: Mcpd = {
    config,
    server,
    logger,
    metrics,
    health,
    lifecycle,
    http: undefined,
    start: async () => {
      await lifecycle.start();
      health.phase = 'running';
      logger.info({ transport, url: mcpd.http?.url, environment: config.environment, version: VERSION }, 'mcpd started');
    },
    shutdown: async (reason: string) => {
      health.phase = 'draining';
      logger.info({ reason }, 'draining');
      engine.endStreams();
      const clean = mcpd.http ? await mcpd.http.drain(config.lifecycle.shutdownTimeoutMs) : true;
      if (!clean) logger.warn({ cut_short: mcpd.http?.requestsInFlight, deadline_ms: config.lifecycle.shutdownTimeoutMs }, 'drain deadline reached with requests in flight');
      await lifecycle.stop((component, error) => logger.error({ err: error, component }, 'stop failed'));
      logger.info({ clean }, 'stopped');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      return { clean };
    },
  };

  let tracing: TracingHandle | undefined;
  if (config.tracing.enabled) {
    lifecycle.register({
      name: 'tracing',
      start: async () => {
        tracing = await startTracing(config.tracing);
        if (tracing.tracer) tracerSource.tracer = tracing.tracer;
      },
      stop: () => tracing?.shutdown(),
    });
  }

  if (metrics) {
    lifecycle.register({
      name: 'metrics',
      start: () => {
        loopDelay.enable();
      },
      stop: () => {
        loopDelay.disable();
      },
    });
  }

  const settings = config.http;
  const auth = config.auth;
  const authenticator =
    auth.mode === 'none'
      ? undefined
      : new Authenticator({
          mode: auth.mode,
          apiKeys: auth.apiKeys,
          resource: () => auth.resource ?? http?.url ?? `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}${settings.path}`,
          resourcePath: auth.resource ? new URL(auth.resource).pathname : settings.path,
          authorizationServers: auth.authorizationServers,
          scopesSupported: auth.scopesSupported,
          jwt: auth.jwt,
        });

  if (transport === 'stdio') {
    let stdioIdentity: Identity | undefined;
    lifecycle.register({
      name: 'stdio-auth',
      start: async () => {
        stdioIdentity = await resolveStdioIdentity(config.auth, authenticator);
        if (stdioIdentity) logger.info({ identity: stdioIdentity.subject, auth_method: stdioIdentity.method }, 'stdio caller authenticated by token');
      },
    });
    if (config.auth.stdioToken && config.auth.mode === 'jwt') {
      server.use((_ctx, next) => {
        // A JWT's expiry still applies on a long-lived stdio connection.
        const exp = stdioIdentity?.claims?.exp;
        if (typeof exp === 'number' && Date.now() > (exp + config.auth.jwt.clockToleranceSec) * 1000) {
          throw new McpdError('UNAUTHENTICATED', 'The stdio token (MCPD_AUTH__STDIO_TOKEN) has expired; restart with a fresh one');
        }
        return next();
      });
    }
    lifecycle.register({
      name: 'stdio',
      start: () => {
        const served = server.serveStdio({ ...options.stdio, identity: options.stdio?.identity ?? stdioIdentity });
        void served.closed.then(() => logger.info('stdin closed'));
      },
      stop: () => server.close(),
    });
  } else {
    const routes = new Map<string, RouteHandler>();
    routes.set(config.health.livenessPath, (_req: IncomingMessage, res: ServerResponse) => json(res, 200, { status: 'ok' }));
    routes.set(config.health.readinessPath, async (_req, res) => {
      const report = await health.readiness();
      json(res, report.status === 'ready' ? 200 : 503, report);
    });
    if (metrics) {
      routes.set(config.metrics.path, async (_req, res) => {
        const body = await metrics.render();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      });
    }
    if (authenticator) {
      const metadata = (_req: IncomingMessage, res: ServerResponse) => json(res, 200, authenticator.metadata());
      routes.set(authenticator.metadataPath, metadata);
      routes.set('/.well-known/oauth-protected-resource', metadata);
    }
    lifecycle.register({
      name: 'auth',
      start: async () => {
        if (!authenticator && !isLoopbackAddress(settings.host) && !auth.allowUnauthenticatedRemote) {
          throw new Error(
            `auth.mode is none on the non-loopback bind ${settings.host}: configure auth.mode apiKey or jwt, or set auth.allowUnauthenticatedRemote`,
          );
        }
        await authenticator?.ready();
      },
    });
    lifecycle.register({
      name: 'http',
      start: async () => {
        http = mcpd.http = await server.listenHttp({
          host: settings.host,
          port: settings.port,
          path: settings.path,
          maxBodyBytes: settings.maxBodyBytes,
          maxHeaderBytes: settings.maxHeaderBytes,
          headersTimeoutMs: settings.headersTimeoutMs,
          maxConnectionsPerIp: settings.maxConnectionsPerIp,
          corsOrigins: settings.allowedOrigins,
          corsMaxAgeSec: settings.corsMaxAgeSec,
          legacySse: settings.legacySse,
          websocket: settings.websocket,
          sseKeepAliveMs: settings.sseKeepAliveMs,
          sseRetryMs: settings.sseRetryMs,
          eventStore: config.eventStore.enabled ? new MemoryEventStore(config.eventStore) : false,
          hostOriginPolicy: !settings.dnsRebindingProtection
            ? 'off'
            : isLoopbackAddress(settings.host)
              ? loopbackPolicy(settings.allowedHosts, settings.allowedOrigins)
              : publicBindPolicy(settings.allowedOrigins),
          routes,
          authenticator,
          trustedProxies: settings.trustedProxies,
          maxInFlight: config.lifecycle.maxInFlight,
          onRejected: (reason) => metrics?.overloadRejections.inc({ reason }),
        });
      },
      stop: () => server.close(),
    });
  }
  return mcpd;
}

/**
 * The stdio caller: trusted (undefined: the local identity with every scope)
 * unless a token is given or required; a given token must verify and its
 * identity then applies. Fails start-up with a clear reason otherwise.
 */
async function resolveStdioIdentity(auth: McpdConfig['auth'], authenticator: Authenticator | undefined): Promise<Identity | undefined> {
  const token = auth.stdioToken;
  if (token === undefined || token === '') {
    if (auth.stdio === 'token') throw new Error('auth.stdio is token: set MCPD_AUTH__STDIO_TOKEN to an API key or JWT in the environment that launches mcpd');
    return undefined;
  }
  if (!authenticator) throw new Error('auth.stdioToken is set but auth.mode is none: choose apiKey or jwt so the token can be verified');
  await authenticator.ready();
  const identity = await authenticator.verifyCredential(token);
  if (!identity) throw new Error('MCPD_AUTH__STDIO_TOKEN was refused: not a configured API key, or an invalid or expired JWT');
  return identity;
}
