import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcErrorCode } from '../chassis/errors.js';
import { classify, parseJson, serializeError, serializeNotification, serializeRequest, serializeResult } from './jsonrpc.js';

test('classify: a request with a number or string id', () => {
  const numeric = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 'x' } };
  assert.deepEqual(classify(numeric), { kind: 'request', message: numeric });
  const named = { jsonrpc: '2.0', id: 'abc', method: 'ping' };
  assert.deepEqual(classify(named), { kind: 'request', message: named });
  const zero = { jsonrpc: '2.0', id: 0, method: 'ping' };
  assert.equal(classify(zero).kind, 'request');
  const empty = { jsonrpc: '2.0', id: '', method: 'ping' };
  assert.equal(classify(empty).kind, 'request');
});

test('classify: a notification has a method and no id', () => {
  const note = { jsonrpc: '2.0', method: 'notifications/initialized' };
  assert.deepEqual(classify(note), { kind: 'notification', message: note });
  const withParams = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } };
  assert.deepEqual(classify(withParams), { kind: 'notification', message: withParams });
});

test('classify: responses (result or error)', () => {
  const ok = { jsonrpc: '2.0', id: 's1', result: {} };
  assert.deepEqual(classify(ok), { kind: 'response', message: ok });
  const failed = { jsonrpc: '2.0', id: 7, error: { code: -1, message: 'no' } };
  assert.deepEqual(classify(failed), { kind: 'response', message: failed });
});

function expectInvalid(value: unknown, id: string | number | null, pattern: RegExp): void {
  const outcome = classify(value);
  assert.equal(outcome.kind, 'invalid', JSON.stringify(value));
  if (outcome.kind !== 'invalid') return;
  assert.equal(outcome.id, id);
  assert.equal(outcome.error.code, JsonRpcErrorCode.INVALID_REQUEST);
  assert.match(outcome.error.message, pattern);
}

test('classify: non-objects are invalid with id null', () => {
  for (const value of [null, 1, 'x', true, [], [{ jsonrpc: '2.0', id: 1, method: 'ping' }]]) {
    expectInvalid(value, null, /must be an object/);
  }
});

test('classify: wrong or missing jsonrpc version is invalid and keeps a usable id', () => {
  expectInvalid({ jsonrpc: '1.0', id: 5, method: 'ping' }, 5, /jsonrpc must be "2.0"/);
  expectInvalid({ id: 'a', method: 'ping' }, 'a', /jsonrpc/);
  expectInvalid({ jsonrpc: 2, id: 1, method: 'ping' }, 1, /jsonrpc/);
  expectInvalid({ jsonrpc: '1.0', id: { x: 1 }, method: 'ping' }, null, /jsonrpc/);
});

test('classify: params must be an object (array, null, scalar refused)', () => {
  expectInvalid({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: ['a'] }, 3, /params must be an object/);
  expectInvalid({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: null }, 3, /params must be an object/);
  expectInvalid({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: 'x' }, 3, /params must be an object/);
  // Also for notifications.
  expectInvalid({ jsonrpc: '2.0', method: 'notifications/x', params: [1] }, null, /params must be an object/);
});

test('classify: id null, object, array or boolean on a request is invalid with id null', () => {
  for (const id of [null, { a: 1 }, [1], true]) {
    expectInvalid({ jsonrpc: '2.0', id, method: 'ping' }, null, /id must be a string or a number/);
  }
});

test('classify: no method, result or error is invalid', () => {
  expectInvalid({ jsonrpc: '2.0', id: 9 }, 9, /no method, result or error/);
  expectInvalid({ jsonrpc: '2.0' }, null, /no method/);
  // A non-string method is not a method.
  expectInvalid({ jsonrpc: '2.0', id: 9, method: 42 }, 9, /no method/);
});

test('classify: a response without an id is invalid', () => {
  expectInvalid({ jsonrpc: '2.0', result: {} }, null, /response needs an id/);
  expectInvalid({ jsonrpc: '2.0', error: { code: 1, message: 'x' } }, null, /response needs an id/);
});

test('parseJson reports a parse error for malformed text', () => {
  assert.deepEqual(parseJson('{"a":1}'), { ok: true, value: { a: 1 } });
  const bad = parseJson('{nope');
  assert.equal(bad.ok, false);
  assert.equal(bad.error?.code, JsonRpcErrorCode.PARSE_ERROR);
});

test('serializers produce JSON-RPC 2.0 frames', () => {
  assert.deepEqual(JSON.parse(serializeResult(1, { a: 1 })), { jsonrpc: '2.0', id: 1, result: { a: 1 } });
  assert.deepEqual(JSON.parse(serializeError(null, { code: -32600, message: 'bad' })), {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32600, message: 'bad' },
  });
  assert.deepEqual(JSON.parse(serializeNotification('n')), { jsonrpc: '2.0', method: 'n' });
  assert.deepEqual(JSON.parse(serializeNotification('n', { a: 1 })), { jsonrpc: '2.0', method: 'n', params: { a: 1 } });
  assert.deepEqual(JSON.parse(serializeRequest('s1', 'roots/list')), { jsonrpc: '2.0', id: 's1', method: 'roots/list' });
  assert.deepEqual(JSON.parse(serializeRequest(2, 'm', { x: true })), { jsonrpc: '2.0', id: 2, method: 'm', params: { x: true } });
});
