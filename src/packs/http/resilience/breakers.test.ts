/** Per-host circuit breakers: transitions, what counts as a failure, the open error, the LRU bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpdError } from '../../../chassis/errors.js';
import { HostBreakers, isHostFailure, type BreakerState } from './breakers.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const fail = (breakers: HostBreakers, host: string) => breakers.execute(host, () => Promise.reject(refused())).catch((error: unknown) => error);
const succeed = (breakers: HostBreakers, host: string) => breakers.execute(host, () => Promise.resolve('ok'));

function isOpenError(host: string, failures: number, seconds: number, retryAfterMs: number) {
  return (error: unknown) => {
    assert.ok(error instanceof McpdError, String(error));
    assert.equal(error.code, 'UPSTREAM_ERROR');
    assert.equal(error.message, `Circuit open for ${host}: it failed ${failures} times in a row`);
    assert.equal(error.retryAfterMs, retryAfterMs);
    assert.equal(Math.ceil(retryAfterMs / 1000), seconds, 'shown to the agent as "(retry after N s)"');
    return true;
  };
}

function setup(failureThreshold = 3, halfOpenAfterMs = 30_000, maxHosts?: number) {
  const time = clock();
  const breakers = new HostBreakers({ enabled: true, failureThreshold, halfOpenAfterMs, maxHosts, now: time.now });
  return { time, breakers };
}

test('closed → open after failureThreshold consecutive failures; the open circuit fails fast without calling', async () => {
  const { time, breakers } = setup();
  assert.equal(breakers.state('a.example'), 'closed');
  for (let i = 0; i < 2; i++) {
    const error = await fail(breakers, 'a.example');
    assert.equal((error as { code?: string }).code, 'ECONNREFUSED', 'the failure itself passes through');
    assert.equal(breakers.state('a.example'), 'closed');
  }
  await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'open');
  let called = false;
  time.advance(10_000);
  await assert.rejects(
    breakers.execute('a.example', async () => {
      called = true;
    }),
    isOpenError('a.example', 3, 20, 20_000),
  );
  assert.equal(called, false);
  assert.equal(breakers.state('b.example'), 'closed', 'other hosts are not affected');
  assert.equal(await succeed(breakers, 'b.example'), 'ok');
});

test('the open error carries the host and state for a client, and rounds seconds up', async () => {
  const { time, breakers } = setup(1, 5_000);
  await fail(breakers, 'api.example:8443');
  time.advance(3_500);
  const error = await breakers.execute('api.example:8443', async () => 'never').catch((failure: unknown) => failure);
  assert.ok(isOpenError('api.example:8443', 1, 2, 1_500)(error));
  assert.deepEqual((error as McpdError).data, { host: 'api.example:8443', circuit: 'open' });
});

test('a success resets the count of consecutive failures', async () => {
  const { breakers } = setup();
  await fail(breakers, 'a.example');
  await fail(breakers, 'a.example');
  await succeed(breakers, 'a.example');
  await fail(breakers, 'a.example');
  await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'closed');
  await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'open');
});

test('open → half_open after halfOpenAfterMs → closed when the trial succeeds', async () => {
  const { time, breakers } = setup(2, 30_000);
  await fail(breakers, 'a.example');
  await fail(breakers, 'a.example');
  time.advance(29_999);
  assert.equal(breakers.state('a.example'), 'open');
  time.advance(1);
  assert.equal(breakers.state('a.example'), 'half_open', 'the next call will be a trial');
  let release!: () => void;
  const trial = breakers.execute('a.example', () => new Promise<string>((resolve) => (release = () => resolve('fine'))));
  assert.equal(breakers.state('a.example'), 'half_open', 'during the trial');
  // Only one trial at a time: others fail fast instead of waiting for it.
  await assert.rejects(breakers.execute('a.example', async () => 'second'), isOpenError('a.example', 2, 1, 1_000));
  release();
  assert.equal(await trial, 'fine');
  assert.equal(breakers.state('a.example'), 'closed');
  assert.equal(await succeed(breakers, 'a.example'), 'ok');
  assert.deepEqual([...breakers.states()], [], 'a healthy host is not tracked');
});

test('half_open → open when the trial fails, for another full halfOpenAfterMs', async () => {
  const { time, breakers } = setup(2, 30_000);
  await fail(breakers, 'a.example');
  await fail(breakers, 'a.example');
  time.advance(30_000);
  await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'open');
  await assert.rejects(succeed(breakers, 'a.example'), isOpenError('a.example', 3, 30, 30_000));
  time.advance(30_000);
  assert.equal(await succeed(breakers, 'a.example'), 'ok');
  assert.equal(breakers.state('a.example'), 'closed');
});

test('isFailure makes a resolved answer (a 503) count, and the answer is still returned', async () => {
  const { breakers } = setup(2);
  const answer = { status: 503 };
  const isFailure = (value: { status: number }) => value.status >= 500;
  assert.equal(await breakers.execute('a.example', async () => answer, isFailure), answer);
  assert.equal(await breakers.execute('a.example', async () => answer, isFailure), answer);
  assert.equal(breakers.state('a.example'), 'open');
  // A 404 is an answer like any other.
  const { breakers: other } = setup(1);
  await other.execute('b.example', async () => ({ status: 404 }), isFailure);
  assert.equal(other.state('b.example'), 'closed');
});

test('refusals, cancellations and aborts are not host failures', async () => {
  const { breakers } = setup(1);
  const controller = new AbortController();
  controller.abort();
  const neutral: unknown[] = [
    new McpdError('PERMISSION_DENIED', 'private address'),
    new McpdError('VALIDATION_ERROR', 'bad header'),
    new McpdError('CANCELLED', 'cancelled'),
    controller.signal.reason,
    new DOMException('deadline', 'TimeoutError'),
    Object.assign(new Error('connect refused by policy'), { code: 'ECONNREFUSED', cause: new McpdError('PERMISSION_DENIED', 'private address') }),
    Object.assign(new Error('invalid header'), { code: 'UND_ERR_INVALID_ARG' }),
  ];
  for (const error of neutral) {
    await assert.rejects(breakers.execute('a.example', () => Promise.reject(error)), (thrown: unknown) => thrown === error);
    assert.equal(breakers.state('a.example'), 'closed', String(error));
  }
  assert.equal(isHostFailure(refused()), true);
  assert.equal(isHostFailure(new McpdError('TIMEOUT', 'no headers')), true);
  assert.equal(isHostFailure(Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), true);
});

test('a trial that ends neutrally (cancelled) leaves the circuit half open for the next caller', async () => {
  const { time, breakers } = setup(1, 1_000);
  await fail(breakers, 'a.example');
  time.advance(1_000);
  await assert.rejects(breakers.execute('a.example', () => Promise.reject(new McpdError('CANCELLED', 'the caller went away'))));
  assert.equal(breakers.state('a.example'), 'half_open');
  assert.equal(await succeed(breakers, 'a.example'), 'ok', 'the next call is the trial, without a new wait');
  assert.equal(breakers.state('a.example'), 'closed');
});

test('a throwing isFailure releases the trial and does not count against the host', async () => {
  const { time, breakers } = setup(1, 1_000);
  await fail(breakers, 'a.example');
  time.advance(1_000);
  const bug = new Error('bug in isFailure');
  await assert.rejects(
    breakers.execute(
      'a.example',
      async () => 1,
      () => {
        throw bug;
      },
    ),
    (error: unknown) => error === bug,
  );
  assert.equal(breakers.state('a.example'), 'half_open');
  assert.equal(await succeed(breakers, 'a.example'), 'ok');
});

test('a success of a call that began before the circuit opened does not close it', async () => {
  const { breakers } = setup(2);
  let release!: () => void;
  const slow = breakers.execute('a.example', () => new Promise<string>((resolve) => (release = () => resolve('late'))));
  await fail(breakers, 'a.example');
  await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'open');
  release();
  assert.equal(await slow, 'late');
  assert.equal(breakers.state('a.example'), 'open');
});

test('states() lists tracked hosts for the metric; at most maxHosts are tracked (least recently used forgotten)', async () => {
  const { breakers } = setup(1, 30_000, 3);
  for (const host of ['a', 'b', 'c', 'd']) await fail(breakers, `${host}.example`);
  const states = new Map<string, BreakerState>(breakers.states());
  assert.equal(states.size, 3);
  assert.equal(states.has('a.example'), false, 'the oldest went');
  assert.equal(breakers.state('a.example'), 'closed');
  assert.deepEqual([...states.values()], ['open', 'open', 'open']);
  // Thousands of distinct hosts never grow it past the bound.
  const { breakers: many } = setup(5, 30_000);
  for (let i = 0; i < 1_500; i++) await fail(many, `h${i}.example`);
  assert.equal([...many.states()].length, 1_000, 'default bound');
});

test('disabled: every call goes through and no state is kept', async () => {
  const breakers = new HostBreakers({ enabled: false, failureThreshold: 1, halfOpenAfterMs: 1_000 });
  for (let i = 0; i < 5; i++) await fail(breakers, 'a.example');
  assert.equal(breakers.state('a.example'), 'closed');
  assert.equal(await succeed(breakers, 'a.example'), 'ok');
  assert.deepEqual([...breakers.states()], []);
});
