/** Cache keys: canonical JSON, hashed material, identities and namespaces kept apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../api/types.js';
import { canonicalJson, checkNamespace, storeKey } from './key.js';

const alice: Identity = { subject: 'alice', scopes: ['tools', 'db'], method: 'api-key' };

test('canonical JSON sorts object keys at every depth and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  assert.equal(canonicalJson('x"\n'), JSON.stringify('x"\n'));
  assert.equal(canonicalJson({ when: new Date(0) }), '{"when":"1970-01-01T00:00:00.000Z"}');
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}', 'an absent field is absent, as in JSON');
});

test('canonical JSON refuses what JSON would blur into null or drop', () => {
  for (const value of [Number.NaN, Infinity, [undefined], 10n, () => 1, Symbol('s'), new Map([[1, 2]]), undefined]) {
    assert.throws(() => canonicalJson(value), TypeError, String(value));
  }
});

test('a key is prefix:namespace:sha256 and shows none of its material', () => {
  const key = storeKey('mcpd:cache', 'db', { identity: alice, parts: ['main', 'SELECT secret FROM payroll', [42]] });
  assert.match(key, /^mcpd:cache:db:[0-9a-f]{64}$/);
  assert.doesNotMatch(key, /alice|payroll|SELECT|42/);
});

test('equal material gives equal keys; any difference gives another key', () => {
  const key = (identity: Identity | undefined, ...parts: unknown[]) => storeKey('p', 'db', { identity, parts });
  const base = key(alice, 'main', 'SELECT $1', [1], 100);
  assert.equal(key({ ...alice, scopes: ['db', 'tools'] }, 'main', 'SELECT $1', [1], 100), base, 'scope order does not matter');
  const variants = [
    key(alice, 'other', 'SELECT $1', [1], 100),
    key(alice, 'main', 'SELECT $1 ', [1], 100),
    key(alice, 'main', 'SELECT $1', ['1'], 100),
    key(alice, 'main', 'SELECT $1', [1], 101),
    key(alice, 'main', 'SELECT $1', [1]),
    key({ ...alice, subject: 'bob' }, 'main', 'SELECT $1', [1], 100),
    key({ ...alice, method: 'jwt' }, 'main', 'SELECT $1', [1], 100),
    key({ ...alice, scopes: ['tools'] }, 'main', 'SELECT $1', [1], 100),
    key({ ...alice, method: 'jwt', claims: { iss: 'https://other.example' } }, 'main', 'SELECT $1', [1], 100),
    key(undefined, 'main', 'SELECT $1', [1], 100),
    key({ subject: 'anonymous', scopes: [], method: 'none' }, 'main', 'SELECT $1', [1], 100),
  ];
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
  // The same material under another namespace is another key.
  assert.notEqual(storeKey('p', 'http', { identity: alice, parts: ['main', 'SELECT $1', [1], 100] }), base);
});

test('namespaces are short lower-case names', () => {
  assert.equal(checkNamespace('db'), 'db');
  assert.equal(checkNamespace('http-get_2'), 'http-get_2');
  for (const bad of ['', 'DB', 'db:x', '1db', 'a'.repeat(33), 'db space']) assert.throws(() => checkNamespace(bad), TypeError, bad);
});
