import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { RequestStateCodec } from './request-state.js';

const METHOD = 'tools/call';
const TARGET = 'book_flight';
const RESPONSES = { 'elicitation-1': { action: 'accept', content: { seat: '12A' } } };

const split = (token: string): [string, string] => {
  const dot = token.lastIndexOf('.');
  return [token.slice(0, dot), token.slice(dot + 1)];
};

/** Replaces the character at `index` with a different base64url character. */
const flip = (text: string, index: number): string => {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
};

test('seal/open round trip returns the payload', () => {
  const codec = new RequestStateCodec('secret-1');
  const before = Date.now();
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const payload = codec.open(token, METHOD, TARGET);
  assert.ok(payload);
  assert.equal(payload.method, METHOD);
  assert.equal(payload.target, TARGET);
  assert.deepEqual(payload.responses, RESPONSES);
  assert.ok(payload.expiresAt >= before + 15 * 60_000 - 1);
});

test('a codec without a secret (random per process) still round-trips', () => {
  for (const secret of [undefined, '']) {
    const codec = new RequestStateCodec(secret);
    assert.ok(codec.open(codec.seal(METHOD, TARGET, {}), METHOD, TARGET));
  }
  // …but two such codecs do not share a key.
  assert.equal(new RequestStateCodec(undefined).open(new RequestStateCodec(undefined).seal(METHOD, TARGET, {}), METHOD, TARGET), undefined);
});

test('a tampered body is refused', () => {
  const codec = new RequestStateCodec('secret-1');
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  const [body, signature] = split(token);
  assert.equal(codec.open(`${flip(body, 5)}.${signature}`, METHOD, TARGET), undefined);
  // A validly encoded body with different content, keeping the old signature.
  const forged = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  forged.responses = { 'elicitation-1': { action: 'accept', content: { seat: '1A' } } };
  const forgedBody = Buffer.from(JSON.stringify(forged)).toString('base64url');
  assert.equal(codec.open(`${forgedBody}.${signature}`, METHOD, TARGET), undefined);
});

test('a tampered signature is refused (changed characters)', () => {
  const codec = new RequestStateCodec('secret-1');
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  const [body, signature] = split(token);
  assert.equal(codec.open(`${body}.${flip(signature, 0)}`, METHOD, TARGET), undefined);
  assert.equal(codec.open(`${body}.${flip(signature, 20)}`, METHOD, TARGET), undefined);
  assert.equal(codec.open(`${body}.`, METHOD, TARGET), undefined);
});

test('a tampered signature is refused (every other final character, extra characters)', () => {
  // The token must be canonical: any signature text other than the one issued is refused.
  const codec = new RequestStateCodec('secret-1');
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  const [body, signature] = split(token);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const variants: string[] = [];
  for (const ch of alphabet) if (ch !== signature.at(-1)) variants.push(`${signature.slice(0, -1)}${ch}`);
  variants.push(`${signature}!`, `${signature}=`, `${signature.slice(0, 10)} ${signature.slice(10)}`, `${signature.slice(0, 10)}*${signature.slice(10)}`);
  const accepted = variants.filter((variant) => codec.open(`${body}.${variant}`, METHOD, TARGET) !== undefined);
  assert.deepEqual(accepted, [], `altered signatures were accepted (issued: ${signature})`);
});

test('truncated and malformed tokens are refused', () => {
  const codec = new RequestStateCodec('secret-1');
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  const [body] = split(token);
  assert.equal(codec.open(token.slice(0, -1), METHOD, TARGET), undefined);
  assert.equal(codec.open(token.slice(0, -5), METHOD, TARGET), undefined);
  assert.equal(codec.open(token.slice(1), METHOD, TARGET), undefined);
  assert.equal(codec.open(body, METHOD, TARGET), undefined); // no signature at all
  assert.equal(codec.open(token.slice(0, token.length / 2), METHOD, TARGET), undefined);
  for (const junk of ['', '.', '.abc', 'abc.', 'no-dot', 42, null, undefined, {}, ['a.b']]) {
    assert.equal(codec.open(junk, METHOD, TARGET), undefined, String(junk));
  }
  assert.equal(codec.open('a'.repeat(1_000_001), METHOD, TARGET), undefined);
});

test('a correctly signed body that is not a valid payload is refused without throwing', () => {
  const codec = new RequestStateCodec('secret-1');
  const sign = (body: string) => `${body}.${createHmac('sha256', 'secret-1').update(body).digest('base64url')}`;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  // Sanity: a hand-signed valid payload opens.
  const valid = { method: METHOD, target: TARGET, responses: {}, expiresAt: Date.now() + 60_000 };
  assert.ok(codec.open(sign(encode(valid)), METHOD, TARGET));
  assert.equal(codec.open(sign(Buffer.from('not json').toString('base64url')), METHOD, TARGET), undefined);
  assert.equal(codec.open(sign(encode({ ...valid, responses: null })), METHOD, TARGET), undefined);
  assert.equal(codec.open(sign(encode({ ...valid, expiresAt: 'never' })), METHOD, TARGET), undefined);
  assert.equal(codec.open(sign(encode({ ...valid, expiresAt: undefined })), METHOD, TARGET), undefined);
});

test('a state issued for another method or target is refused', () => {
  const codec = new RequestStateCodec('secret-1');
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  assert.equal(codec.open(token, 'prompts/get', TARGET), undefined);
  assert.equal(codec.open(token, METHOD, 'cancel_flight'), undefined);
  assert.equal(codec.open(token, METHOD, TARGET.toUpperCase()), undefined);
  assert.ok(codec.open(token, METHOD, TARGET));
});

test('an expired state is refused', async () => {
  const codec = new RequestStateCodec('secret-1', 20);
  const token = codec.seal(METHOD, TARGET, RESPONSES);
  assert.ok(codec.open(token, METHOD, TARGET));
  await delay(40);
  assert.equal(codec.open(token, METHOD, TARGET), undefined);
});

test('a state sealed with a different secret is refused', () => {
  const token = new RequestStateCodec('secret-1').seal(METHOD, TARGET, RESPONSES);
  assert.equal(new RequestStateCodec('secret-2').open(token, METHOD, TARGET), undefined);
  assert.ok(new RequestStateCodec(Buffer.from('secret-1')).open(token, METHOD, TARGET));
});
