/**
 * The HTTP pack's configuration section (zod only: the config schema
 * composes it; nothing here runs).
 */
import { z } from 'zod';

const positiveMs = z.number().int().positive();

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const httpRequestsSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the http_request tool.'),
    methods: z
      .array(z.enum(HTTP_METHODS))
      .default([...HTTP_METHODS])
      .describe('Methods agents may use; drop POST, PUT, PATCH, DELETE to allow only reads.'),
    allowHosts: z
      .array(z.string())
      .default([])
      .describe('Hosts agents may reach (`api.example.com`, `*.example.com`); empty: any public host.'),
    denyHosts: z.array(z.string()).default([]).describe('Hosts never reached, even when allowHosts matches (`*.internal.example.com`).'),
    allowedPorts: z.array(z.number().int().min(1).max(65535)).default([80, 443]).describe('Destination ports allowed (after redirects too).'),
    allowPrivateNetworks: z
      .array(z.string())
      .default([])
      .describe(
        'CIDR ranges of non-public addresses that may be reached anyway (e.g. `10.1.2.0/24`, `127.0.0.1/32`). Empty (the default): only public unicast addresses.',
      ),
    hosts: z
      .record(z.string(), z.strictObject({ headers: z.record(z.string(), z.string()).default({}) }))
      .default({})
      .describe('Per-host headers injected by the server, keyed by host pattern (never shown to agents; dropped on cross-origin redirects).'),
    hostSecrets: z
      .record(z.string(), z.record(z.string(), z.string()))
      .default({})
      .describe('SECRET (env or file only). Per-host secret headers as JSON {"api.example.com": {"authorization": "Bearer …"}}; injected like `hosts.<host>.headers`.'),
    maxRedirects: z.number().int().min(0).max(20).default(5).describe('Redirects followed; each hop is checked again.'),
    maxResponseBytes: z.number().int().positive().default(1024 * 1024).describe('Most response body bytes read; the rest is cut and flagged `truncated`.'),
    connectTimeoutMs: positiveMs.default(5_000).describe('Time to open the connection (TCP and TLS).'),
    headersTimeoutMs: positiveMs.default(15_000).describe('Time until the response headers arrive.'),
    bodyTimeoutMs: positiveMs.default(30_000).describe('Longest pause between two chunks of the response body.'),
    timeoutMs: positiveMs.default(30_000).describe('Default total time of one call, retries included.'),
    maxTimeoutMs: positiveMs.default(120_000).describe('Largest total time a caller may ask for.'),
    retry: z
      .strictObject({
        maxRetries: z.number().int().min(0).max(10).default(2).describe('Default retries of idempotent requests (GET, HEAD, PUT, DELETE) on 429/502/503/504 and connection errors.'),
        maxAllowedRetries: z.number().int().min(0).max(10).default(5).describe('Most retries a caller may ask for.'),
        baseDelayMs: positiveMs.default(200).describe('Backoff base: attempt n waits a random time up to base × 2^n (full jitter).'),
        maxDelayMs: positiveMs.default(5_000).describe('Longest wait between attempts (Retry-After included).'),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Open a per-host circuit after repeated failures.'),
        failureThreshold: z.number().int().positive().default(5).describe('Consecutive failures (connection errors, 5xx) that open the circuit.'),
        halfOpenAfterMs: positiveMs.default(30_000).describe('Time an open circuit waits before letting one trial request through.'),
      })
      .prefault({}),
    cache: z
      .strictObject({
        defaultTtlMs: z.number().int().min(0).default(0).describe('Cache GET responses this long unless the caller says otherwise; 0: only when asked.'),
        maxTtlMs: z.number().int().min(0).default(300_000).describe('Longest cache TTL a caller may ask for.'),
      })
      .prefault({}),
    html: z.enum(['text', 'raw']).default('text').describe('HTML bodies as readable text (`text`) or as received (`raw`); callers may ask for raw.'),
    userAgent: z.string().default('mcpd-http/1').describe('User-Agent sent unless the caller or host settings give one.'),
  })
  .prefault({});

export type HttpRequestsSettings = z.output<typeof httpRequestsSection>;
