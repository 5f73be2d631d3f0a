/**
 * The retry policy of the HTTP pack, as small pure functions the client's loop
 * composes: which requests may be repeated (idempotent methods), which answers
 * and failures are worth another attempt, and how long to wait (Retry-After
 * when the server says, otherwise exponential backoff with full jitter, both
 * bounded by `maxDelayMs`). The deadline check belongs to the caller, who
 * knows how much time the call has left.
 */
import { errorChain, errorCode } from '../error-chain.js';
import { McpdError, isAbortError } from '../../../chassis/errors.js';
import type { AbortSignalLike } from '../../../chassis/light-signal.js';

/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Too many requests, and the gateway answers that mean "the origin is not there right now". */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Connection-level failures: the request most likely never reached the origin's
 * application, or the origin went away; another attempt may well succeed.
 * (Not: DNS names that do not exist, TLS certificate errors, aborts, bad arguments.)
 */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function isIdempotent(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** An abort of ours (caller cancellation, the call's deadline), not a failure of the server. */
export function isAbortLike(error: unknown): boolean {
  if (isAbortError(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  // AbortSignal.timeout() aborts with a DOMException named TimeoutError; undici's own abort error.
  return name === 'TimeoutError' || code === 'UND_ERR_ABORTED';
}

/**
 * A connection-level failure worth another attempt. Never an `McpdError`
 * (refusals such as PERMISSION_DENIED or VALIDATION_ERROR, an open circuit, a
 * cancellation: mcpd's own decisions) nor an abort, wherever in the chain.
 */
export function isRetryableError(error: unknown): boolean {
  const chain = errorChain(error);
  if (chain.some((link) => link instanceof McpdError || isAbortLike(link))) return false;
  return chain.some((link) => {
    const code = errorCode(link);
    return code !== undefined && RETRYABLE_CODES.has(code);
  });
}

const DELAY_SECONDS = /^-?\d+(\.\d+)?$/;
/** IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 …`), asctime (`Sun Nov  6 08:49:37 1994`). */
const HTTP_DATE = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s.*\d{1,2}:\d{2}:\d{2}/i;

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delay-seconds or
 * an HTTP-date (relative to `now`). A date in the past (or a negative number)
 * is 0; anything unparseable is `undefined`. Of a repeated header, the first
 * value counts.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  const text = first.trim();
  if (text === '') return undefined;
  if (DELAY_SECONDS.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
  }
  if (!HTTP_DATE.test(text)) return undefined;
  // asctime carries no zone: it is GMT by definition.
  const at = Date.parse(/\b(gmt|utc|z)\b|[+-]\d{4}$/i.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter: a uniformly random wait in
 * [0, min(maxDelayMs, baseDelayMs × 2^attempt)), `attempt` counting from 0 for
 * the wait after the first attempt.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/** The wait before the next attempt: the server's Retry-After when given (at most `maxDelayMs`), else backoff. */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, options: BackoffOptions, random?: () => number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxDelayMs);
  return backoffDelay(attempt, options, random);
}

/** Waits `ms`; rejects with `CANCELLED` (the signal's reason as its cause) as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cancelled = () => new McpdError('CANCELLED', 'The request was cancelled', { cause: signal?.reason });
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
