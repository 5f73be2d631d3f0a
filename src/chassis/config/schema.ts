/**
 * The configuration schema: the single source of truth for every key, its type,
 * its default and its documentation (`.describe()` feeds the JSON Schema that
 * editors complete from, and the README's reference table).
 *
 * Every object is strict: an unknown key is an error, never silently ignored —
 * a typo like `read_only-true` must not leave a tool writable.
 *
 * These are the chassis' sections. Tool packs declare their own (in their
 * settings.ts); the application (src/app/config.ts) composes both into the one
 * schema mcpd loads, so the chassis never depends on a pack.
 */
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const serverSection = z
  .strictObject({
    name: z.string().min(1).default('mcpd').describe('Server name reported to clients (serverInfo.name).'),
    instructions: z.string().optional().describe('Natural-language guidance sent to clients (initialize / server/discover).'),
    transport: z.enum(['http', 'stdio']).default('http').describe('How `mcpd serve` talks to clients.'),
  })
  .prefault({});

export const httpSection = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Bind address. Non-loopback binds refuse browser Origins unless listed in allowedOrigins.'),
    port: port.default(3000).describe('TCP port (0 = any free port).'),
    path: z.string().startsWith('/').default('/mcp').describe('The MCP endpoint (POST/GET/DELETE, WebSocket upgrade).'),
    maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024).describe('Largest accepted request body; larger ones get 413.'),
    maxHeaderBytes: z.number().int().min(1024).max(1024 * 1024).default(16 * 1024).describe('Largest accepted request head (request line + headers); larger ones get 431.'),
    headersTimeoutMs: positiveMs.default(20_000).describe('Time a client has to send the complete request head (slow-header attacks); the connection is closed after it.'),
    maxConnectionsPerIp: z
      .number()
      .int()
      .min(0)
      .default(256)
      .describe('Open TCP connections allowed per peer address (0 = no cap); more are refused. Trusted proxies are exempt.'),
    corsMaxAgeSec: z.number().int().min(0).default(600).describe('How long browsers may cache a CORS preflight answer (origins from allowedOrigins).'),
    legacySse: z.boolean().default(true).describe('Serve the 2024-11-05 HTTP+SSE transport at /sse and /messages.'),
    websocket: z.boolean().default(true).describe('Accept WebSocket upgrades (subprotocol `mcp`) on the MCP endpoint.'),
    dnsRebindingProtection: z.boolean().default(true).describe('Validate Host (loopback binds) and Origin headers.'),
    allowedHosts: z.array(z.string()).default([]).describe('Extra Host names accepted on loopback binds (e.g. a dev proxy name).'),
    allowedOrigins: z
      .array(z.string())
      .default([])
      .describe('Browser origins allowed to call the server (scheme://host[:port]): they pass the Origin check and get CORS headers. Default none.'),
    sseKeepAliveMs: positiveMs.default(15_000).describe('Interval of SSE keep-alive comments.'),
    sseRetryMs: positiveMs.default(1_000).describe('`retry` hint sent with SSE priming events (reconnect delay).'),
    trustedProxies: z
      .array(z.string())
      .default([])
      .describe('Addresses or CIDRs of proxies whose X-Forwarded-For is believed (client address for rate limits); from anyone else the header is ignored.'),
  })
  .prefault({});

export const sessionsSection = z
  .strictObject({
    maxSessions: z.number().int().positive().default(10_000).describe('2025-era sessions allowed at once; initialize beyond it gets 503.'),
    idleTimeoutMs: positiveMs.default(30 * 60_000).describe('Idle time after which a session is closed (never while it has work in flight).'),
    handshakeTimeoutMs: positiveMs.default(30_000).describe('Idle time after which a session that never finished its handshake is closed.'),
  })
  .prefault({});

export const eventStoreSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Keep SSE events so 2025-era clients can resume with Last-Event-ID.'),
    maxEventsPerStream: z.number().int().positive().default(256).describe('Events kept per stream.'),
    maxStreams: z.number().int().positive().default(10_000).describe('Streams kept at once.'),
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024).describe('Bytes of events kept in all.'),
    retentionMs: positiveMs.default(5 * 60_000).describe('How long a finished stream stays resumable.'),
  })
  .prefault({});

export const protocolSection = z
  .strictObject({
    requestStateSecret: z
      .string()
      .min(32)
      .optional()
      .describe('SECRET (env or file only). HMAC key for 2026 requestState; set the same value on every replica. Generated per process when absent.'),
    clientRequestTimeoutMs: positiveMs.default(10 * 60_000).describe('How long a server-to-client request (elicitation, sampling, roots) may wait.'),
    listCacheTtlMs: z.number().int().min(0).default(60_000).describe('ttlMs hint on 2026 list results.'),
    listCacheScope: z.enum(['public', 'private']).default('private').describe('cacheScope hint on 2026 list results.'),
  })
  .prefault({});

export const tasksSection = z
  .strictObject({
    ttlMs: positiveMs.default(60 * 60_000).describe('How long a task is kept after its last update.'),
    pollIntervalMs: positiveMs.default(500).describe('Polling interval suggested to clients.'),
    maxTasks: z.number().int().positive().default(10_000).describe('Tasks kept at once.'),
  })
  .prefault({});

export const loggingSection = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Minimum level written.'),
    format: z.enum(['json', 'pretty']).default('json').describe('JSON lines (production) or human-readable (development).'),
    file: z.string().optional().describe('Also append JSON lines to this file.'),
    redact: z.array(z.string()).default([]).describe('Extra pino redaction paths (secrets are always redacted).'),
  })
  .prefault({});

export const metricsSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve Prometheus metrics.'),
    path: z.string().startsWith('/').default('/metrics').describe('HTTP path of the metrics endpoint.'),
    processMetrics: z.boolean().default(true).describe('Include the default Node.js process metrics.'),
  })
  .prefault({});

export const tracingSection = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Instrument requests with OpenTelemetry spans (off: no middleware, no SDK).'),
    exporter: z
      .enum(['otlp', 'none'])
      .default('otlp')
      .describe('`otlp`: mcpd installs the SDK and exports over OTLP/HTTP. `none`: instrumentation only, through the global OpenTelemetry API — spans record when the embedding process registered its own SDK, and cost almost nothing otherwise.'),
    serviceName: z.string().default('mcpd').describe('service.name resource attribute.'),
    otlpEndpoint: z.string().url().default('http://127.0.0.1:4318/v1/traces').describe('OTLP/HTTP traces endpoint.'),
    sampleRatio: z.number().min(0).max(1).default(1).describe('Fraction of root traces sampled (parent decisions are honoured).'),
    asyncContext: z
      .boolean()
      .default(false)
      .describe('Propagate the active span through async calls (AsyncLocalStorage), so trace.getActiveSpan() works in handlers; costs every promise. Off: handlers use ctx.traceContext as parent.'),
  })
  .prefault({});

export const lifecycleSection = z
  .strictObject({
    shutdownTimeoutMs: positiveMs.default(10_000).describe('Deadline for in-flight requests to finish on SIGTERM/SIGINT.'),
    maxInFlight: z.number().int().positive().default(1024).describe('Requests handled at once; more get 503 with Retry-After.'),
    requestTimeoutMs: positiveMs.default(60_000).describe('Per-request deadline; the handler is aborted and the client gets TIMEOUT (subscriptions/listen is exempt).'),
  })
  .prefault({});

export const healthSection = z
  .strictObject({
    livenessPath: z.string().startsWith('/').default('/healthz').describe('Liveness endpoint (the event loop answers).'),
    readinessPath: z.string().startsWith('/').default('/readyz').describe('Readiness endpoint (every dependency check passes).'),
    checkTimeoutMs: positiveMs.default(2_000).describe('Timeout of each readiness check.'),
  })
  .prefault({});

const apiKeyEntry = z.strictObject({
  name: z.string().min(1).describe('Who the key belongs to (the identity subject).'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe('Hex SHA-256 of the key (the key itself is never configured).'),
  scopes: z.array(z.string()).default([]).describe('Scopes granted to the key.'),
});

export const authSection = z
  .strictObject({
    mode: z.enum(['none', 'apiKey', 'jwt']).default('none').describe('How HTTP callers authenticate.'),
    allowUnauthenticatedRemote: z
      .boolean()
      .default(false)
      .describe('Allow mode `none` on a non-loopback bind (refused at startup otherwise).'),
    apiKeys: z
      .array(apiKeyEntry)
      .default([])
      .describe('SECRET (env or file only). API keys as JSON: [{"name","sha256","scopes"}]; create one with `mcpd apikey create`.'),
    resource: z.string().url().optional().describe('This server\'s resource URI (RFC 8707 audience). Default: the HTTP endpoint URL.'),
    authorizationServers: z.array(z.string().url()).default([]).describe('Authorization servers named in the protected-resource metadata (RFC 9728).'),
    scopesSupported: z.array(z.string()).default([]).describe('Scopes named in the protected-resource metadata and in 401 challenges.'),
    stdio: z
      .enum(['trust', 'token'])
      .default('trust')
      .describe('stdio callers: `trust` (the local user who launched mcpd; every scope unless auth.stdioToken narrows it) or `token` (auth.stdioToken required).'),
    stdioToken: z
      .string()
      .optional()
      .describe('SECRET (env or file only: MCPD_AUTH__STDIO_TOKEN, set by the launching client). An API key or JWT verified per auth.mode; its identity and scopes apply to the stdio connection.'),
    toolScopes: z.record(z.string(), z.array(z.string())).default({}).describe('Scopes required per tool name, in addition to those the tool declares in code.'),
    jwt: z
      .strictObject({
        jwksUrl: z.string().url().optional().describe('JWKS endpoint; keys are cached and refetched on an unknown `kid` (at most once per cooldown).'),
        publicKeys: z.array(z.string()).default([]).describe('Static verification keys (PEM SPKI), when there is no JWKS.'),
        issuer: z.string().optional().describe('Required `iss`.'),
        audience: z.string().optional().describe('Required `aud`. Default: auth.resource.'),
        algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).default(['RS256', 'ES256', 'EdDSA']).describe('Accepted signature algorithms (never `none`, never HMAC).'),
        clockToleranceSec: z.number().int().min(0).max(300).default(30).describe('Allowed clock skew for exp/nbf/iat.'),
        jwksCooldownMs: positiveMs.default(30_000).describe('Minimum time between JWKS refetches.'),
        cacheTtlMs: z
          .number()
          .int()
          .min(0)
          .default(60_000)
          .describe('How long a verified token is remembered (never past its exp), sparing a signature check per request; 0 disables.'),
        cacheMaxEntries: z.number().int().positive().default(10_000).describe('Verified tokens remembered at most.'),
      })
      .prefault({}),
  })
  .prefault({});

const budget = z.strictObject({
  points: z.number().int().positive().describe('Calls allowed per window.'),
  durationSec: z.number().int().positive().describe('Window length in seconds.'),
});

export const rateLimitSection = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Limit calls per caller (identity, or client address when anonymous).'),
    points: z.number().int().positive().default(600).describe('Requests per caller per window.'),
    durationSec: z.number().int().positive().default(60).describe('Window length in seconds.'),
    burst: z.number().int().min(0).default(100).describe('Extra requests allowed in a burst once the window budget is spent.'),
    burstDurationSec: z.number().int().positive().default(60).describe('Window over which the burst allowance refills.'),
    perTool: z.record(z.string(), budget).default({}).describe('Additional budgets per tool name (per caller).'),
    store: z.enum(['memory', 'redis']).default('memory').describe('Where budgets live: this process, or Redis shared by every replica.'),
    redisUrl: z.string().optional().describe('SECRET (env or file only). Redis URL for store redis (may carry a password).'),
    onStoreFailure: z.enum(['open', 'closed']).default('open').describe('When Redis is unreachable: `open` (a local in-memory budget applies) or `closed` (refuse).'),
    keyPrefix: z.string().default('mcpd:rl').describe('Prefix of the Redis keys.'),
  })
  .prefault({});

export const cacheSection = z
  .strictObject({
    store: z
      .enum(['memory', 'redis'])
      .default('memory')
      .describe('Where cached tool results live (database queries with cacheTtlMs): this process (bounded LRU), or Redis shared by every replica.'),
    redisUrl: z.string().optional().describe('SECRET (env or file only). Redis URL for store redis (may carry a password; rediss:// for TLS).'),
    keyPrefix: z
      .string()
      .min(1)
      .default('mcpd:cache')
      .describe('Prefix of cache keys, followed by the namespace (`db`…) and a SHA-256 of the key material: no SQL, parameter or identity appears in a key.'),
    maxEntries: z.number().int().positive().default(10_000).describe('Entries the memory store keeps at most (least recently used go first).'),
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024).describe('Bytes (keys and serialised values) the memory store keeps at most.'),
    maxEntryBytes: z
      .number()
      .int()
      .positive()
      .default(2 * 1024 * 1024)
      .describe('Largest entry cached, in either store; a larger result is returned but not cached.'),
    timeoutMs: positiveMs.default(250).describe('Longest a Redis lookup or write may take; past it the call proceeds as a miss (counted as an error).'),
  })
  .prefault({});

export const auditSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Write an audit event for every tool call and resource read.'),
    file: z.string().optional().describe('Also append audit events as JSON lines to this file (the log stream always gets them).'),
  })
  .prefault({});

/** The chassis' keys of the configuration; src/app/config.ts adds the packs' sections. */
export const chassisSections = {
  environment: z.string().default('development').describe('Environment name: selects config/<environment>.yaml.'),
  server: serverSection,
  http: httpSection,
  sessions: sessionsSection,
  eventStore: eventStoreSection,
  protocol: protocolSection,
  tasks: tasksSection,
  logging: loggingSection,
  metrics: metricsSection,
  tracing: tracingSection,
  lifecycle: lifecycleSection,
  health: healthSection,
  auth: authSection,
  rateLimit: rateLimitSection,
  audit: auditSection,
  cache: cacheSection,
};

export type LoggingSettings = z.output<typeof loggingSection>;
export type TracingSettings = z.output<typeof tracingSection>;
export type AuthSettings = z.output<typeof authSection>;

/** Which keys hold secrets: accepted only from the environment or a `*_FILE`, never a config file, and always redacted. */
export interface ConfigSecrets {
  /** Dotted key paths. */
  readonly paths: readonly string[];
  /** Those of them whose value is structured (JSON in the environment), not a plain string. */
  readonly structured: readonly string[];
}

export const CHASSIS_SECRETS: ConfigSecrets = {
  paths: ['protocol.requestStateSecret', 'auth.apiKeys', 'rateLimit.redisUrl', 'cache.redisUrl', 'auth.stdioToken'],
  structured: ['auth.apiKeys'],
};
