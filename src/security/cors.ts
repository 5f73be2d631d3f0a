/**
 * CORS for browser-based MCP clients: only origins the operator listed
 * (`http.allowedOrigins`, default none) get `Access-Control-Allow-*` headers,
 * so no other page can read a response or send a preflighted request. The
 * Origin check of host-origin.ts still refuses unlisted origins outright; CORS
 * only tells browsers what the listed ones may do.
 *
 * Credentials travel in the Authorization header, never in cookies, so
 * `Access-Control-Allow-Credentials` is never sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers an MCP client sends (2026 routing headers, 2025 session and resumption headers, auth). */
const ALLOWED_REQUEST_HEADERS = new Set([
  'accept',
  'authorization',
  'content-type',
  'last-event-id',
  'mcp-method',
  'mcp-name',
  'mcp-protocol-version',
  'mcp-session-id',
  'traceparent',
  'tracestate',
  'x-api-key',
  'x-request-id',
]);
/** Response headers a browser client must be able to read. */
const EXPOSED_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after, x-request-id';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
const ALLOWED_METHOD_SET = new Set(ALLOWED_METHODS.split(', '));

export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly maxAge: string;

  constructor(allowedOrigins: readonly string[], maxAgeSec: number) {
    this.origins = new Set(allowedOrigins.map((origin) => origin.trim().toLowerCase().replace(/\/$/, '')));
    this.maxAge = String(maxAgeSec);
  }

  get enabled(): boolean {
    return this.origins.size > 0;
  }

  /** The listed origin the request came from, or undefined. */
  private originOf(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    return origin !== undefined && this.origins.has(origin.trim().toLowerCase()) ? origin : undefined;
  }

  /** Adds the CORS response headers to an actual (non-preflight) request from a listed origin. */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    const origin = this.originOf(req);
    res.setHeader('vary', 'Origin');
    if (!origin) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  }

  /**
   * Answers an OPTIONS preflight: 204 with the allowed methods and headers for
   * a listed origin asking for permitted headers, 403 otherwise (no CORS headers,
   * so the browser blocks the request).
   */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const origin = this.originOf(req);
    const method = req.headers['access-control-request-method'];
    const requested = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((header) => header.trim().toLowerCase())
      .filter(Boolean);
    const headersAllowed = requested.every((header) => ALLOWED_REQUEST_HEADERS.has(header) || header.startsWith('mcp-param-'));
    if (!origin || method === undefined || !ALLOWED_METHOD_SET.has(method.toUpperCase()) || !headersAllowed) {
      res.writeHead(403, { vary: 'Origin', 'content-length': 0 });
      res.end();
      return;
    }
    res.writeHead(204, {
      vary: 'Origin',
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOWED_METHODS,
      // Echoed: the 2026 Mcp-Param-* headers are named after tool parameters, so no fixed list can hold them.
      'access-control-allow-headers': requested.join(', '),
      'access-control-max-age': this.maxAge,
      'content-length': 0,
    });
    res.end();
  }
}
