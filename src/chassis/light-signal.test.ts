/** LightSignal: one-shot abort listeners without an AbortController. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LightSignal } from './light-signal.js';

test('listeners run once, in order, on the first abort; removed ones and later registrations do not run', () => {
  const signal = new LightSignal();
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
  const signal = new LightSignal();
  let ran = false;
  signal.addEventListener('abort', () => {
    throw new Error('first');
  });
  signal.addEventListener('abort', () => (ran = true));
  assert.throws(() => signal.abort(undefined), /first/);
  assert.equal(ran, true);
});

test('with onError, every exception goes there and none is thrown', () => {
  const signal = new LightSignal();
  const errors: unknown[] = [];
  signal.addEventListener('abort', () => {
    throw new Error('one');
  });
  signal.addEventListener('abort', () => {
    throw new Error('two');
  });
  signal.abort('why', (error) => errors.push((error as Error).message));
  assert.deepEqual(errors, ['one', 'two']);
});
