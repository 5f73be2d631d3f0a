import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ErrorCode,
  HTTP_STATUS_OF,
  isAbortError,
  JsonRpcErrorCode,
  McpdError,
  normalizeError,
  publicMessage,
  toJsonRpcError,
  toToolErrorResult,
} from './errors.js';

test('normalizeError passes an McpdError through unchanged (same object)', () => {
  const error = new McpdError('NOT_FOUND', 'no such thing', { data: { id: 1 } });
  assert.equal(normalizeError(error), error);
});

test('normalizeError turns unknown failures into INTERNAL with a generic message and keeps the cause', () => {
  for (const thrown of [new Error('db password is hunter2'), 'a string', 42, null, undefined, { weird: true }]) {
    const normalized = normalizeError(thrown);
    assert.ok(normalized instanceof McpdError);
    assert.equal(normalized.code, 'INTERNAL');
    assert.equal(normalized.message, 'Internal error');
    assert.equal(normalized.jsonRpcCode, JsonRpcErrorCode.INTERNAL_ERROR);
    assert.equal(normalized.cause, thrown);
    assert.equal(normalized.protocol, false);
  }
});

test('normalizeError maps abort errors to CANCELLED', () => {
  const domAbort = new DOMException('The operation was aborted', 'AbortError');
  const controller = new AbortController();
  controller.abort();
  const nodeStyle = Object.assign(new Error('aborted'), { code: 'ABORT_ERR' });
  const named = Object.assign(new Error('aborted'), { name: 'AbortError' });
  for (const thrown of [domAbort, controller.signal.reason, nodeStyle, named]) {
    assert.equal(isAbortError(thrown), true);
    const normalized = normalizeError(thrown);
    assert.equal(normalized.code, 'CANCELLED');
    assert.equal(normalized.jsonRpcCode, JsonRpcErrorCode.CANCELLED);
    assert.equal(normalized.cause, thrown);
  }
  assert.equal(isAbortError(new Error('x')), false);
  assert.equal(isAbortError(null), false);
  assert.equal(isAbortError('AbortError'), false);
});

test('McpdError derives its JSON-RPC code from its code unless overridden', () => {
  assert.equal(new McpdError('VALIDATION_ERROR', 'x').jsonRpcCode, JsonRpcErrorCode.INVALID_PARAMS);
  assert.equal(new McpdError('METHOD_NOT_FOUND', 'x').jsonRpcCode, JsonRpcErrorCode.METHOD_NOT_FOUND);
  assert.equal(new McpdError('RATE_LIMITED', 'x').jsonRpcCode, JsonRpcErrorCode.RATE_LIMITED);
  assert.equal(new McpdError('VALIDATION_ERROR', 'x', { jsonRpcCode: -32020 }).jsonRpcCode, -32020);
  for (const code of Object.values(ErrorCode)) {
    assert.equal(typeof new McpdError(code, 'x').jsonRpcCode, 'number', code);
    assert.equal(typeof HTTP_STATUS_OF[code], 'number', code);
  }
  const error = new McpdError('TIMEOUT', 'slow');
  assert.equal(error.name, 'McpdError');
  assert.ok(error instanceof Error);
  assert.equal(error.protocol, false);
  assert.equal(error.httpStatus, undefined);
});

test('toJsonRpcError never exposes the message of an INTERNAL error', () => {
  const secret = 'connection string postgres://admin:s3cret@db';
  for (const error of [new McpdError('INTERNAL', secret), normalizeError(new Error(secret))]) {
    const body = toJsonRpcError(error);
    assert.equal(body.code, JsonRpcErrorCode.INTERNAL_ERROR);
    assert.equal(body.message, 'Internal error');
    assert.equal(publicMessage(error), 'Internal error');
    assert.ok(!JSON.stringify(body).includes('s3cret'));
    assert.deepEqual(body.data, { errorCode: 'INTERNAL' });
  }
});

test('toJsonRpcError forwards the message, code, retry hint and data of other errors', () => {
  const body = toJsonRpcError(
    new McpdError('RATE_LIMITED', 'Slow down', { retryAfterMs: 1500, data: { limit: 10 } }),
  );
  assert.deepEqual(body, {
    code: JsonRpcErrorCode.RATE_LIMITED,
    message: 'Slow down',
    data: { errorCode: 'RATE_LIMITED', retryAfterMs: 1500, limit: 10 },
  });
  assert.deepEqual(toJsonRpcError(new McpdError('NOT_FOUND', 'gone')), {
    code: JsonRpcErrorCode.INVALID_PARAMS,
    message: 'gone',
    data: { errorCode: 'NOT_FOUND' },
  });
});

test('toToolErrorResult has the tool-result shape with code and public message', () => {
  const result = toToolErrorResult(new McpdError('NOT_FOUND', 'No such file'));
  assert.deepEqual(result, {
    content: [{ type: 'text', text: 'NOT_FOUND: No such file' }],
    isError: true,
    _meta: { 'dev.mcpd/error': { code: 'NOT_FOUND' } },
  });
  assert.equal('retryAfterMs' in result._meta['dev.mcpd/error'], false);
});

test('toToolErrorResult hides INTERNAL messages', () => {
  const result = toToolErrorResult(normalizeError(new Error('stack secret')));
  assert.equal(result.content[0].text, 'INTERNAL: Internal error');
  assert.ok(!JSON.stringify(result).includes('stack secret'));
});

test('toToolErrorResult adds retry text rounded up to whole seconds', () => {
  const result = toToolErrorResult(new McpdError('RATE_LIMITED', 'Too many calls', { retryAfterMs: 1500 }));
  assert.equal(result.content[0].text, 'RATE_LIMITED: Too many calls (retry after 2 s)');
  assert.deepEqual(result._meta['dev.mcpd/error'], { code: 'RATE_LIMITED', retryAfterMs: 1500 });
  assert.equal(
    toToolErrorResult(new McpdError('UNAVAILABLE', 'Busy', { retryAfterMs: 1000 })).content[0].text,
    'UNAVAILABLE: Busy (retry after 1 s)',
  );
  assert.equal(
    toToolErrorResult(new McpdError('UNAVAILABLE', 'Busy', { retryAfterMs: 1 })).content[0].text,
    'UNAVAILABLE: Busy (retry after 1 s)',
  );
});
