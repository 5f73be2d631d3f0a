/**
 * One outbound HTTP call made safely and dependably: the URL and every
 * redirect hop checked (ssrf/), connections only to vetted addresses (the
 * vetted agent), operator headers and credentials injected for their own
 * origin only, retries with backoff for idempotent methods, a circuit per
 * host, a capped body, an optional cache for GET — all within one deadline
 * that the caller's cancellation also ends.
 */
import type { Dispatcher } from 'undici';
import type { Identity } from '../../api/types.js';
import type { ResultCache } from '../../chassis/cache/result-cache.js';
import { McpdError } from '../../chassis/errors.js';
import { readCapped } from './body.js';
import { LightSignal, type AbortSignalLike } from '../../chassis/light-signal.js';
import { viewBody, type BodyView } from './content.js';
import type { HostBreakers } from './resilience/breakers.js';
import { isIdempotent, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelay, sleep } from './resilience/retry.js';
import type { HttpMethod, HttpRequestsSettings } from './settings.js';
import { classify } from './ssrf/address-policy.js';
import { ssrfRefusal } from './ssrf/vetted-agent.js';
import type { UrlPolicy } from './ssrf/url-policy.js';
import { hostMatches } from './host-pattern.js';

export interface HttpCall {
  method: HttpMethod;
  url: string;
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  body?: { json: unknown } | { text: string; contentType?: string };
  timeoutMs: number;
  maxRetries: number;
  cacheTtlMs: number;
  html: 'text' | 'raw';
}

export interface HttpOutcome {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: BodyView;
  truncated: boolean;
  bytes: number;
  attempts: number;
  redirects: string[];
  cached?: boolean;
}

/** The caller's side of a call: who asks, and how they cancel (a handler context is one). */
export interface HttpCallContext {
  /** Subscribes to the caller's cancellation; returns the unsubscribe (HandlerContext.onAbort). */
  onAbort(listener: (reason: unknown) => void): () => void;
  identity: Identity | undefined;
}

/** What the pack's metrics see of each attempt. */
export interface HttpObserver {
  attempt(host: string, outcome: string, seconds: number): void;
  retry(host: string): void;
}

export interface HttpClientDeps {
  dispatcher: Dispatcher;
  urlPolicy: UrlPolicy;
  breakers: HostBreakers;
  cache?: ResultCache;
  observer?: HttpObserver;
  random?: () => number;
}

/** Response headers an agent gets (the rest is noise or server internals). */
const SHOWN_HEADERS = ['content-type', 'content-length', 'content-language', 'cache-control', 'etag', 'last-modified', 'expires', 'location', 'retry-after', 'date', 'link'];
/** Caller headers that name the caller: never carried to another origin on a redirect. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** Set by mcpd alone: a caller cannot smuggle framing or routing. */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-connection', 'expect']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_INLINE_BINARY_BYTES = 256 * 1024;

interface Response {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  redirects: string[];
}

interface Read {
  outcome: HttpOutcome;
  /** May a shared cache keep it? */
  storable: boolean;
}

function isLoopbackLiteral(hostname: string): boolean {
  try {
    return classify(hostname) === 'loopback';
  } catch {
    return false;
  }
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export class HttpClient {
  /** The operator's per-host headers and secrets, listed once (looked up on every hop). */
  private readonly hostHeaders: [string, Record<string, string>][];
  private readonly hostSecrets: [string, Record<string, string>][];

  constructor(
    private readonly settings: HttpRequestsSettings,
    private readonly deps: HttpClientDeps,
  ) {
    this.hostHeaders = Object.entries(settings.hosts).map(([pattern, entry]) => [pattern, entry.headers]);
    this.hostSecrets = Object.entries(settings.hostSecrets);
  }

  async request(call: HttpCall, ctx: HttpCallContext): Promise<HttpOutcome> {
    if (!this.settings.methods.includes(call.method)) throw new McpdError('PERMISSION_DENIED', `Method ${call.method} is not enabled (allowed: ${this.settings.methods.join(', ')})`);
    const url = this.targetUrl(call);
    this.deps.urlPolicy.check(url);
    const headers = this.callerHeaders(call);
    // Everything the answer may depend on: the URL, every header the caller sent, how HTML is shown, who asks.
    const cacheKey =
      call.method === 'GET' && call.cacheTtlMs > 0 && this.deps.cache
        ? { identity: ctx.identity, parts: [url.href, call.html, Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1))] }
        : undefined;
    if (cacheKey) {
      const hit = await this.deps.cache!.get<HttpOutcome & { fetchedAt: number }>(cacheKey);
      // An entry kept longer by an earlier caller is still too old for this one's cacheTtlMs.
      if (hit && Date.now() - hit.fetchedAt <= call.cacheTtlMs) {
        const { fetchedAt: _fetchedAt, ...outcome } = hit;
        return { ...outcome, cached: true };
      }
    }
    // One signal for the caller's cancellation and the call's deadline (see light-signal.ts for why not an AbortController).
    const signal = new LightSignal();
    const deadline = { passed: false };
    const timer = setTimeout(() => {
      deadline.passed = true;
      // An abort like AbortSignal.timeout's: the breaker does not count the caller's own budget against the host.
      signal.abort(new DOMException('The call ran out of time', 'TimeoutError'));
    }, call.timeoutMs);
    const caller = { cancelled: false };
    const unsubscribe = ctx.onAbort((reason) => {
      caller.cancelled = true;
      signal.abort(reason);
    });
    try {
      const { outcome, storable } = await this.withRetries(call, url, headers, signal);
      if (cacheKey && storable) await this.deps.cache!.set(cacheKey, { ...outcome, fetchedAt: Date.now() }, call.cacheTtlMs);
      return outcome;
    } catch (error) {
      throw this.failure(error, url, call, caller.cancelled, deadline.passed);
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  private targetUrl(call: HttpCall): URL {
    let url: URL;
    try {
      url = new URL(call.url);
    } catch {
      throw new McpdError('VALIDATION_ERROR', 'url is not a valid absolute URL');
    }
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.append(name, String(value));
    // Setting a URL part re-serialises it: only when there is a fragment to drop.
    if (url.hash !== '') url.hash = '';
    return url;
  }

  private callerHeaders(call: HttpCall): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(call.headers ?? {})) {
      const lower = name.toLowerCase();
      if (FORBIDDEN_HEADERS.has(lower)) throw new McpdError('VALIDATION_ERROR', `Header ${name} is set by the server and cannot be given`);
      if (/[\r\n]/.test(value)) throw new McpdError('VALIDATION_ERROR', `Header ${name} contains a line break`);
      headers[lower] = value;
    }
    headers['user-agent'] ??= this.settings.userAgent;
    return headers;
  }

  /**
   * Operator headers (plain and secret) for this URL's host, from every matching pattern. Secrets
   * travel only over https (or to a loopback address, which never leaves the machine): a call to
   * http:// for a host with credentials is refused rather than sent in clear text or silently without.
   */
  private operatorHeaders(url: URL): Record<string, string> {
    const headers: Record<string, string> = {};
    const add = (values: Record<string, string>) => {
      for (const [name, value] of Object.entries(values)) headers[name.toLowerCase()] = value;
    };
    for (const [pattern, values] of this.hostHeaders) if (hostMatches(pattern, url.hostname)) add(values);
    for (const [pattern, values] of this.hostSecrets) {
      if (!hostMatches(pattern, url.hostname)) continue;
      if (url.protocol !== 'https:' && !isLoopbackLiteral(url.hostname)) {
        throw new McpdError('PERMISSION_DENIED', `Credentials configured for ${url.hostname} are sent only over https; use an https:// URL`);
      }
      add(values);
    }
    return headers;
  }

  private async withRetries(call: HttpCall, url: URL, headers: Record<string, string>, signal: AbortSignalLike): Promise<Read> {
    const retries = isIdempotent(call.method) ? call.maxRetries : 0;
    const started = Date.now();
    const host = url.host;
    for (let attempt = 0; ; attempt++) {
      const began = performance.now();
      let response: Response;
      try {
        response = await this.deps.breakers.execute(host, () => this.followRedirects(call, url, headers, signal), (value) => value.status >= 500);
      } catch (error) {
        this.deps.observer?.attempt(host, error instanceof McpdError ? error.code : 'error', (performance.now() - began) / 1000);
        const delay = attempt < retries && isRetryableError(error) && !signal.aborted ? this.delayBefore(attempt, undefined, call, started) : undefined;
        if (delay === undefined) throw error;
        await this.wait(delay, signal, host);
        continue;
      }
      this.deps.observer?.attempt(host, String(response.status), (performance.now() - began) / 1000);
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      // A server asking for a longer wait than maxDelayMs is not retried early: the agent gets its answer, Retry-After included.
      if (attempt < retries && isRetryableStatus(response.status) && (retryAfterMs === undefined || retryAfterMs <= this.settings.retry.maxDelayMs)) {
        const delay = this.delayBefore(attempt, retryAfterMs, call, started);
        // With no time left for another attempt, this answer is the result.
        if (delay !== undefined) {
          await response.body.dump().catch(() => {});
          await this.wait(delay, signal, host);
          continue;
        }
      }
      return this.outcome(response, call, attempt + 1, signal);
    }
  }

  /** The wait before the next attempt, or undefined when it would end past the call's deadline. */
  private delayBefore(attempt: number, retryAfterMs: number | undefined, call: HttpCall, started: number): number | undefined {
    const delay = retryDelay(attempt, retryAfterMs, this.settings.retry, this.deps.random);
    return Date.now() + delay < started + call.timeoutMs ? delay : undefined;
  }

  private async wait(delay: number, signal: AbortSignalLike, host: string): Promise<void> {
    this.deps.observer?.retry(host);
    await sleep(delay, signal);
  }

  /** One attempt: the request and its redirects, each hop checked again and given only its own origin's headers. */
  private async followRedirects(call: HttpCall, url: URL, callerHeaders: Record<string, string>, signal: AbortSignalLike): Promise<Response> {
    const origin = url.origin;
    const redirects: string[] = [];
    let method: string = call.method;
    let body = call.body;
    let current = url;
    for (;;) {
      const sameOrigin = current.origin === origin;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(callerHeaders)) if (sameOrigin || !CREDENTIAL_HEADERS.has(name)) headers[name] = value;
      if (sameOrigin) Object.assign(headers, this.operatorHeaders(current));
      let payload: string | undefined;
      if (body && method !== 'GET' && method !== 'HEAD') {
        if ('json' in body) {
          payload = JSON.stringify(body.json);
          headers['content-type'] ??= 'application/json';
        } else {
          payload = body.text;
          headers['content-type'] ??= body.contentType ?? 'text/plain; charset=utf-8';
        }
      }
      const response = await this.deps.dispatcher.request({
        origin: current.origin,
        path: `${current.pathname}${current.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: payload,
        signal,
        headersTimeout: this.settings.headersTimeoutMs,
        bodyTimeout: this.settings.bodyTimeoutMs,
      });
      const location = headerValue(response.headers, 'location');
      if (!REDIRECTS.has(response.statusCode) || !location) {
        return { url: current.href, status: response.statusCode, headers: response.headers, body: response.body, redirects };
      }
      await response.body.dump().catch(() => {});
      if (redirects.length >= this.settings.maxRedirects) throw new McpdError('UPSTREAM_ERROR', `Too many redirects (more than ${this.settings.maxRedirects})`);
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new McpdError('UPSTREAM_ERROR', 'The server redirected to an invalid URL');
      }
      if (next.hash !== '') next.hash = '';
      this.deps.urlPolicy.check(next);
      redirects.push(next.href);
      // As browsers do: 303 always, and 301/302 after a POST, continue as a GET without the body.
      if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
      }
      current = next;
    }
  }

  private async outcome(response: Response, call: HttpCall, attempts: number, signal: AbortSignalLike): Promise<Read> {
    const read = await readCapped(response.body, this.settings.maxResponseBytes, signal);
    const contentType = headerValue(response.headers, 'content-type');
    const headers: Record<string, string> = {};
    for (const name of SHOWN_HEADERS) {
      const value = headerValue(response.headers, name);
      if (value !== undefined) headers[name] = value;
    }
    const outcome: HttpOutcome = {
      url: response.url,
      status: response.status,
      headers,
      body: viewBody(read.bytes, contentType, { html: call.html, truncated: read.truncated, maxInlineBinaryBytes: MAX_INLINE_BINARY_BYTES, baseUrl: response.url }),
      truncated: read.truncated,
      bytes: read.bytes.length,
      attempts,
      redirects: response.redirects,
    };
    const control = (headerValue(response.headers, 'cache-control') ?? '').toLowerCase();
    // Kept only when the server allows a shared copy that does not vary by request headers we cannot see.
    const storable =
      response.status >= 200 &&
      response.status < 300 &&
      !response.headers['set-cookie'] &&
      !response.headers.vary &&
      !read.truncated &&
      !/(^|[\s,])(no-store|private)([\s,=]|$)/.test(control);
    return { outcome, storable };
  }

  private failure(error: unknown, url: URL, call: HttpCall, callerCancelled: boolean, deadlinePassed: boolean): McpdError {
    const refused = ssrfRefusal(error);
    if (refused) return refused;
    if (error instanceof McpdError && error.code !== 'CANCELLED') return error;
    if (callerCancelled) return new McpdError('CANCELLED', 'The request was cancelled');
    if (deadlinePassed) return new McpdError('TIMEOUT', `${url.host} did not answer within ${call.timeoutMs} ms`);
    if (error instanceof McpdError) return error;
    const code = (error as { code?: string } | undefined)?.code ?? '';
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new McpdError('TIMEOUT', `Connecting to ${url.host} timed out after ${this.settings.connectTimeoutMs} ms`);
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new McpdError('TIMEOUT', `${url.host} sent no response headers within ${this.settings.headersTimeoutMs} ms`);
    if (code === 'UND_ERR_BODY_TIMEOUT') return new McpdError('TIMEOUT', `${url.host} stopped sending the body for ${this.settings.bodyTimeoutMs} ms`);
    // undici refuses what the caller gave before sending anything (a header name it cannot send, say).
    if (code === 'UND_ERR_INVALID_ARG') return new McpdError('VALIDATION_ERROR', `The request cannot be sent: ${(error as Error).message}`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new McpdError('UPSTREAM_ERROR', `The host ${url.hostname} could not be resolved`);
    if (code) return new McpdError('UPSTREAM_ERROR', `The request to ${url.host} failed (${code})`, { retryAfterMs: 1000 });
    return new McpdError('UPSTREAM_ERROR', `The request to ${url.host} failed`, { cause: error });
  }
}
