/** The retry policy: idempotency, retryable answers and failures, Retry-After, backoff with full jitter, sleep. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { McpdError } from '../../../chassis/errors.js';
import { backoffDelay, isIdempotent, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelay, sleep } from './retry.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

test('idempotent methods are GET, HEAD, PUT, DELETE, OPTIONS (any case); POST and PATCH are not', () => {
  for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'get', 'Delete']) assert.equal(isIdempotent(method), true, method);
  for (const method of ['POST', 'PATCH', 'post', 'CONNECT', '']) assert.equal(isIdempotent(method), false, method);
});

test('429, 502, 503 and 504 are retryable statuses; other errors and successes are not', () => {
  for (const status of [429, 502, 503, 504]) assert.equal(isRetryableStatus(status), true, String(status));
  for (const status of [200, 204, 301, 400, 401, 403, 404, 408, 500, 501, 505]) assert.equal(isRetryableStatus(status), false, String(status));
});

test('connection-level errors are retryable, by code, also when wrapped in a cause or an AggregateError', () => {
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']) {
    assert.equal(isRetryableError(coded(code)), true, code);
  }
  assert.equal(isRetryableError(new TypeError('fetch failed', { cause: coded('ECONNRESET') })), true, 'fetch-style wrapper');
  assert.equal(isRetryableError(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'all addresses failed')), true, 'happy eyeballs');
});

test('refusals, cancellations, aborts and unknown failures are not retryable', () => {
  const refusals = [
    new McpdError('PERMISSION_DENIED', 'private address'),
    new McpdError('VALIDATION_ERROR', 'bad url'),
    new McpdError('CANCELLED', 'cancelled'),
    new McpdError('UPSTREAM_ERROR', 'Circuit open for a.example: it failed 5 times in a row; retry after 30 s', { retryAfterMs: 30_000 }),
    // mcpd's refusal wrapped by the connector, and a socket error wrapped in a refusal: both stay refusals.
    Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED', cause: new McpdError('PERMISSION_DENIED', 'private address') }),
    new McpdError('UPSTREAM_ERROR', 'failed', { cause: coded('ECONNRESET') }),
  ];
  for (const error of refusals) assert.equal(isRetryableError(error), false, error.message);
  const controller = new AbortController();
  controller.abort();
  const aborts = [controller.signal.reason, new DOMException('deadline', 'TimeoutError'), coded('UND_ERR_ABORTED'), Object.assign(coded('ECONNRESET'), { name: 'AbortError' })];
  for (const error of aborts) assert.equal(isRetryableError(error), false, String(error));
  for (const other of [coded('ENOTFOUND'), coded('CERT_HAS_EXPIRED'), coded('UND_ERR_INVALID_ARG'), new Error('boom'), undefined, null, 'ECONNRESET', 42]) {
    assert.equal(isRetryableError(other), false, String(other));
  }
});

test('a cyclic cause chain is walked without hanging', () => {
  const a: Error & { cause?: unknown } = new Error('a');
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(isRetryableError(a), false);
  (b as Error & { code?: string }).code = 'ECONNRESET';
  assert.equal(isRetryableError(a), true);
});

test('a real refused connection (nothing listening on the port) is retryable', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const dispatcher = new Agent();
  try {
    const error = await request(`http://127.0.0.1:${port}/`, { dispatcher }).then(
      () => assert.fail('the request should fail'),
      (failure: unknown) => failure,
    );
    assert.equal(isRetryableError(error), true, String(error));
  } finally {
    await dispatcher.close();
  }
});

test('Retry-After in seconds', () => {
  assert.equal(parseRetryAfter('120'), 120_000);
  assert.equal(parseRetryAfter(' 3 '), 3_000);
  assert.equal(parseRetryAfter('0'), 0);
  assert.equal(parseRetryAfter('1.5'), 1_500);
  assert.equal(parseRetryAfter('-5'), 0, 'negative is now');
  assert.equal(parseRetryAfter(['2', '7']), 2_000, 'the first of repeated headers');
});

test('Retry-After as an HTTP-date, in each of the three formats, relative to now', () => {
  const now = Date.parse('2015-10-21T07:28:00Z');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wednesday, 21-Oct-15 07:29:00 GMT', now), 60_000);
  assert.equal(parseRetryAfter('Wed Oct 21 07:28:05 2015', now), 5_000, 'asctime is GMT');
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date in the past is now');
});

test('garbage Retry-After is undefined', () => {
  for (const value of [undefined, '', '   ', 'soon', 'x 2020', '12abc', '1e3', 'Infinity', 'NaN', 'Wed, 99 Foo 2015 07:28:00 GMT', []]) {
    assert.equal(parseRetryAfter(value as string | string[] | undefined, 0), undefined, JSON.stringify(value));
  }
});

test('backoff is full jitter: random × min(max, base × 2^attempt)', () => {
  const options = { baseDelayMs: 200, maxDelayMs: 5_000 };
  const half = () => 0.5;
  assert.equal(backoffDelay(0, options, half), 100);
  assert.equal(backoffDelay(1, options, half), 200);
  assert.equal(backoffDelay(3, options, half), 800);
  assert.equal(backoffDelay(5, options, half), 2_500, 'capped at maxDelayMs: 200 × 32 = 6400 > 5000');
  assert.equal(backoffDelay(2_000, options, half), 2_500, '2^2000 is Infinity: still capped');
  assert.equal(backoffDelay(3, options, () => 0), 0, 'full jitter reaches zero');
  assert.ok(backoffDelay(3, options, () => 0.999_999) < 1_600);
  for (let i = 0; i < 200; i++) {
    const delay = backoffDelay(4, options);
    assert.ok(delay >= 0 && delay < 3_200, String(delay));
  }
});

test('Retry-After wins over backoff, capped at maxDelayMs', () => {
  const options = { baseDelayMs: 200, maxDelayMs: 5_000 };
  const random = () => 0.5;
  assert.equal(retryDelay(0, 3_000, options, random), 3_000);
  assert.equal(retryDelay(0, 60_000, options, random), 5_000);
  assert.equal(retryDelay(4, 0, options, random), 0);
  assert.equal(retryDelay(2, undefined, options, random), 400);
});

test('sleep resolves after its time', async () => {
  await sleep(1);
  await sleep(0, new AbortController().signal);
});

test('sleep rejects with CANCELLED at once when the signal is already aborted', async () => {
  const controller = new AbortController();
  controller.abort(new Error('gone'));
  await assert.rejects(sleep(60_000, controller.signal), (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED' && (error.cause as Error).message === 'gone');
});

test('sleep rejects with CANCELLED when the signal aborts during the wait (and its timer goes)', async () => {
  const controller = new AbortController();
  const pending = sleep(60_000, controller.signal);
  setImmediate(() => controller.abort());
  await assert.rejects(pending, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
  // The test process would stay up for a minute if the timer were left running.
});
