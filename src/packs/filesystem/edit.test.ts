import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpdError } from '../../chassis/errors.js';
import { applyEdits } from './edit.js';

test('edits apply in order, each to the text the previous ones left', () => {
  const text = 'alpha\nbeta\ngamma\n';
  assert.equal(
    applyEdits(text, [
      { oldText: 'beta', newText: 'BETA' },
      { oldText: 'BETA\ngamma', newText: 'delta' },
    ], 'f.txt'),
    'alpha\ndelta\n',
  );
});

test('a block not found, or found twice, is a CONFLICT naming the edit; nothing is applied', () => {
  const text = 'x = 1\nx = 1\ny = 2\n';
  assert.throws(() => applyEdits(text, [{ oldText: 'z = 3', newText: '' }], 'f.txt'), (error) => error instanceof McpdError && error.code === 'CONFLICT' && /Edit 1: .*not found/.test(error.message));
  assert.throws(() => applyEdits(text, [{ oldText: 'y = 2', newText: 'y = 3' }, { oldText: 'x = 1', newText: '' }], 'f.txt'), /Edit 2: .*more than once/);
});

test('CRLF files are matched with LF text and keep their line ends', () => {
  assert.equal(applyEdits('a\r\nb\r\n', [{ oldText: 'a\nb', newText: 'a\nc' }], 'f.txt'), 'a\r\nc\r\n');
});

test('replacement text containing $ patterns is inserted literally', () => {
  assert.equal(applyEdits('price', [{ oldText: 'price', newText: "$& $1 $$ $'" }], 'f.txt'), "$& $1 $$ $'");
});
