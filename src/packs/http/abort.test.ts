/** The HTTP pack's cancellation over a LightSignal: undici, readCapped and the retry wait all end at its abort. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { McpdError } from '../../chassis/errors.js';
import { LightSignal } from '../../chassis/light-signal.js';
import { readCapped } from './body.js';
import { sleep } from './resilience/retry.js';

const dispatcher = new Agent();
after(() => dispatcher.close());

test('undici takes it as a request signal: an abort while waiting for headers ends the request with the reason', async () => {
  const server = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const signal = new LightSignal();
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
  const signal = new LightSignal();
  const reading = readCapped(never, 10, signal);
  const waiting = sleep(60_000, signal);
  setImmediate(() => signal.abort(new Error('cancelled by the caller')));
  for (const pending of [reading, waiting]) await assert.rejects(pending, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
});
