/** readCapped against real local HTTP servers: the cap, endless and slow bodies, cancellation, stream errors. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { McpdError } from '../../chassis/errors.js';
import { readCapped } from './body.js';

const dispatcher = new Agent();
const servers: ReturnType<typeof createServer>[] = [];

after(async () => {
  await dispatcher.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local server; `closed` resolves when the response's connection goes away (the client hung up or it ended). */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = createServer((req, res) => {
    res.on('close', closed);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, connectionClosed };
}

const filled = (size: number, byte = 0x61) => Buffer.alloc(size, byte);

/** Writes 16 KiB chunks for ever, as fast as the client takes them, until the client goes away. */
function endless(_req: IncomingMessage, res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = filled(16 * 1024);
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

test('an endless body is cut at the cap, flagged truncated, and the download is stopped', async () => {
  const { url, connectionClosed } = await serve(endless);
  const { body } = await request(url, { dispatcher });
  const read = await readCapped(body, 100_000);
  assert.equal(read.truncated, true);
  assert.equal(read.bytes.length, 100_000);
  assert.ok(read.receivedBytes >= 100_000 && read.receivedBytes < 100_000 + 64 * 1024, String(read.receivedBytes));
  assert.ok(read.bytes.every((byte) => byte === 0x61));
  assert.equal(body.destroyed, true, 'the body stream is destroyed at the cap');
  await connectionClosed; // the server sees the client hang up: no endless download
});

test('a body shorter than the cap is read whole', async () => {
  const payload = Buffer.from('hello, world');
  const { url } = await serve((_req, res) => res.end(payload));
  const { body } = await request(url, { dispatcher });
  const read = await readCapped(body, 1_000);
  assert.deepEqual(read, { bytes: payload, truncated: false, receivedBytes: payload.length });
});

test('a body of exactly the cap is whole; one byte more is truncated', async () => {
  const exact = await serve((_req, res) => res.end(filled(5_000)));
  const whole = await readCapped((await request(exact.url, { dispatcher })).body, 5_000);
  assert.equal(whole.truncated, false);
  assert.equal(whole.bytes.length, 5_000);
  const over = await serve((_req, res) => res.end(filled(5_001)));
  const cut = await readCapped((await request(over.url, { dispatcher })).body, 5_000);
  assert.equal(cut.truncated, true);
  assert.equal(cut.bytes.length, 5_000);
  assert.equal(cut.receivedBytes, 5_001);
});

test('a slow server sending small chunks with pauses is read in order', async () => {
  const parts = ['one ', 'two ', 'three ', 'four'];
  const { url } = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let index = 0;
    const next = () => {
      if (index === parts.length) return res.end();
      res.write(parts[index++]);
      setTimeout(next, 5);
    };
    next();
  });
  const read = await readCapped((await request(url, { dispatcher })).body, 1_000);
  assert.equal(read.bytes.toString(), 'one two three four');
  assert.equal(read.truncated, false);
});

test('aborting mid-download (server stalled after a first chunk) rejects with CANCELLED and hangs up', async () => {
  let sentFirst!: () => void;
  const firstSent = new Promise<void>((resolve) => (sentFirst = resolve));
  const { url, connectionClosed } = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial', () => sentFirst()); // then nothing, for ever
  });
  const { body } = await request(url, { dispatcher });
  const controller = new AbortController();
  const reading = readCapped(body, 1_000_000, controller.signal);
  await firstSent;
  setImmediate(() => controller.abort(new Error('caller went away')));
  await assert.rejects(reading, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED' && (error.cause as Error).message === 'caller went away');
  assert.equal(body.destroyed, true);
  await connectionClosed;
});

test('aborting during an endless download stops it', async () => {
  const { url, connectionClosed } = await serve(endless);
  const { body } = await request(url, { dispatcher });
  const controller = new AbortController();
  let seen = 0;
  body.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > 200_000) controller.abort();
  });
  body.pause();
  await assert.rejects(readCapped(body, 1e12, controller.signal), (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
  await connectionClosed;
});

test('an already aborted signal rejects at once and releases the body', async () => {
  const { url, connectionClosed } = await serve(endless);
  const { body } = await request(url, { dispatcher });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(readCapped(body, 1_000, controller.signal), (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
  assert.equal(body.destroyed, true);
  await connectionClosed;
});

test('a connection lost mid-body rejects with the stream error, not CANCELLED', async () => {
  const { url } = await serve((req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('only part of it', () => req.socket.destroy());
  });
  const { body } = await request(url, { dispatcher });
  await assert.rejects(readCapped(body, 10_000, new AbortController().signal), (error: unknown) => !(error instanceof McpdError) && error instanceof Error);
});

test('any async iterable works: chunks are joined and the cap applies (a generator is closed at the cap)', async () => {
  let finalized = false;
  async function* chunks() {
    try {
      for (let i = 0; ; i++) yield new Uint8Array([i % 256, i % 256]);
    } finally {
      finalized = true;
    }
  }
  const read = await readCapped(chunks(), 5);
  assert.deepEqual([...read.bytes], [0, 0, 1, 1, 2]);
  assert.equal(read.truncated, true);
  assert.equal(read.receivedBytes, 6);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(finalized, true);
  const empty = await readCapped((async function* () {})(), 5);
  assert.deepEqual(empty, { bytes: Buffer.alloc(0), truncated: false, receivedBytes: 0 });
});

test('an abort interrupts a source that never yields and cannot be destroyed', async () => {
  const never: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => {}) }) };
  const controller = new AbortController();
  const reading = readCapped(never, 10, controller.signal);
  setImmediate(() => controller.abort());
  await assert.rejects(reading, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
});

test('a body destroyed before it is read rejects instead of waiting for ever', async () => {
  const destroyed = Readable.from([Buffer.from('x')]);
  destroyed.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  await assert.rejects(readCapped(destroyed, 10), (error: unknown) => !(error instanceof McpdError) && error instanceof Error);
  const failed = new PassThrough();
  failed.on('error', () => {});
  failed.destroy(new Error('boom'));
  await assert.rejects(readCapped(failed, 10), /boom/);
});
