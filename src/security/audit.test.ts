import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argumentDigest, canonicalArguments } from './audit.js';

const none = new Set<string>();

test('canonical arguments sort keys at every depth, so key order never changes the digest', () => {
  const a = { b: 1, a: { y: [1, { d: 2, c: 3 }], x: null } };
  const b = { a: { x: null, y: [1, { c: 3, d: 2 }] }, b: 1 };
  assert.equal(canonicalArguments(a, none), '{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}');
  assert.equal(argumentDigest(a, none), argumentDigest(b, none));
  assert.match(argumentDigest(a, none), /^sha256:[0-9a-f]{64}$/);
});

test('sensitive fields are replaced at any depth, arrays keep their order', () => {
  const sensitive = new Set(['password']);
  const text = canonicalArguments({ password: 'hunter2', nested: { password: 'p2', list: [{ password: 'p3' }, 'keep'] } }, sensitive);
  assert.ok(!text.includes('hunter2') && !text.includes('p2') && !text.includes('p3'), text);
  assert.equal(argumentDigest({ password: 'a', n: 1 }, sensitive), argumentDigest({ password: 'b', n: 1 }, sensitive));
  assert.notEqual(argumentDigest({ n: 1 }, sensitive), argumentDigest({ n: 2 }, sensitive));
});

test('absent arguments digest like an empty object', () => {
  assert.equal(argumentDigest(undefined, none), argumentDigest({}, none));
});
