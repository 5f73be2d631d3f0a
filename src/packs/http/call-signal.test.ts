/** CallSignal: the one-shot abort of an outbound call, as undici, readCapped and sleep use it. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { McpdError } from '../../chassis/errors.js';
import { CallSignal } from './call-signal.js';
import { readCapped } from './body.js';
import { sleep } from './resilience/retry.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

test('listeners run once, in order, on the first abort; removed ones and later registrations do not run', () => {
  const signal = new CallSignal();
  const calls: string[] = [];
  const removed = () => calls.push('removed');
  signal.addEventListener('abort', () => calls.push('a'));
  signal.addEventListener('abort', removed);
  signal.addEventListener('abort', () => calls.push('b'));
  signal.removeEventListener('abort', removed);
  signal.abort('why');
  signal.abort('again');
  signal.addEventListener('abort', () => calls.push('late'));
  assert.deepEqual(calls, ['a', 'b']);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, 'why');
});

test("one listener's exception does not keep the others from running; the first is rethrown", () => {
  const signal = new CallSignal();
  let ran = false;
  signal.addEventListener('abort', () => {
    throw new Error('first');
  });
  signal.addEventListener('abort', () => (ran = true));
  assert.throws(() => signal.abort(undefined), /first/);
  assert.equal(ran, true);
});

test('undici takes it as a request signal: an abort while waiting for headers ends the request with the reason', async () => {
  const server = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const signal = new CallSignal();
    const reason = new Error('stop now');
    setTimeout(() => signal.abort(reason), 20);
    await assert.rejects(dispatcher.request({ origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET', signal: signal as never }), (error) => error === reason);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('readCapped and sleep end at its abort with CANCELLED', async () => {
  const never = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }) };
  const signal = new CallSignal();
  const reading = readCapped(never, 10, signal);
  const waiting = sleep(60_000, signal);
  setImmediate(() => signal.abort(new Error('cancelled by the caller')));
  for (const pending of [reading, waiting]) await assert.rejects(pending, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
});
