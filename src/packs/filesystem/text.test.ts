import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksBinary, selectLines } from './text.js';

test('binary means a NUL byte early in the file', () => {
  assert.equal(looksBinary(Buffer.from('plain text\n')), false);
  assert.equal(looksBinary(Buffer.from([0x89, 0x50, 0x00, 0x47])), true);
  assert.equal(looksBinary(Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0])])), false);
});

test('line selections: range, head, tail, and the final newline', () => {
  const text = 'one\ntwo\nthree\nfour\n';
  assert.deepEqual(selectLines(text, {}), { text: 'one\ntwo\nthree\nfour', startLine: 1, endLine: 4, totalLines: 4 });
  assert.deepEqual(selectLines(text, { startLine: 2, endLine: 3 }), { text: 'two\nthree', startLine: 2, endLine: 3, totalLines: 4 });
  assert.deepEqual(selectLines(text, { head: 2 }), { text: 'one\ntwo', startLine: 1, endLine: 2, totalLines: 4 });
  assert.deepEqual(selectLines(text, { tail: 1 }), { text: 'four', startLine: 4, endLine: 4, totalLines: 4 });
  assert.deepEqual(selectLines(text, { startLine: 9 }), { text: '', startLine: 9, endLine: 8, totalLines: 4 });
  assert.equal(selectLines('no newline', { tail: 5 }).text, 'no newline');
});
