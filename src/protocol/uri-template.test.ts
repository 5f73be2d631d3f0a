import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileUriTemplate } from './uri-template.js';

test('a template without expressions matches only itself', () => {
  const compiled = compileUriTemplate('config://app/settings');
  assert.deepEqual(compiled.variables, []);
  assert.equal(compiled.template, 'config://app/settings');
  assert.deepEqual(compiled.match('config://app/settings'), {});
  assert.equal(compiled.match('config://app/settings/x'), undefined);
  assert.equal(compiled.match('xconfig://app/settings'), undefined);
});

test('simple {var} matches one path segment', () => {
  const compiled = compileUriTemplate('users://{userId}/profile');
  assert.deepEqual(compiled.variables, ['userId']);
  assert.deepEqual(compiled.match('users://42/profile'), { userId: '42' });
  assert.equal(compiled.match('users://42/7/profile'), undefined, 'a simple variable never spans a slash');
  assert.equal(compiled.match('users:///profile'), undefined, 'empty values do not match');
  assert.equal(compiled.match('users://4?2/profile'), undefined);
  assert.equal(compiled.match('users://4#2/profile'), undefined);
});

test('several variables, and percent-decoding of captured values', () => {
  const compiled = compileUriTemplate('repo://{owner}/{name}/issues/{number}');
  assert.deepEqual(compiled.variables, ['owner', 'name', 'number']);
  assert.deepEqual(compiled.match('repo://acme/widgets/issues/17'), { owner: 'acme', name: 'widgets', number: '17' });
  assert.deepEqual(compiled.match('repo://a%20b/c%2Fd/issues/1'), { owner: 'a b', name: 'c/d', number: '1' });
  // Malformed percent-encoding is no match rather than an exception.
  assert.equal(compiled.match('repo://a%E0%A4%A/b/issues/1'), undefined);
});

test('reserved {+var} may contain slashes', () => {
  const compiled = compileUriTemplate('file:///{+path}');
  assert.deepEqual(compiled.variables, ['path']);
  assert.deepEqual(compiled.match('file:///etc/hosts'), { path: 'etc/hosts' });
  assert.deepEqual(compiled.match('file:///a/b/c.txt'), { path: 'a/b/c.txt' });
  assert.equal(compiled.match('file:///'), undefined);
  const withSuffix = compileUriTemplate('docs://{+path}.md');
  assert.deepEqual(withSuffix.match('docs://guide/intro.md'), { path: 'guide/intro' });
  assert.equal(withSuffix.match('docs://guide/intro.txt'), undefined);
});

test('literal parts are matched literally (regex metacharacters escaped)', () => {
  const compiled = compileUriTemplate('data://v1.0/items(+)/{id}?x=[1]');
  assert.deepEqual(compiled.match('data://v1.0/items(+)/9?x=[1]'), { id: '9' });
  assert.equal(compiled.match('data://v1x0/items(+)/9?x=[1]'), undefined, 'a dot is not a wildcard');
  assert.equal(compiled.match('data://v1.0/itemss/9?x=[1]'), undefined);
  const dollar = compileUriTemplate('x://$a^/{v}');
  assert.deepEqual(dollar.match('x://$a^/1'), { v: '1' });
});

test('matching is anchored at both ends', () => {
  const compiled = compileUriTemplate('notes://{id}');
  assert.equal(compiled.match('prefix-notes://1'), undefined);
  assert.equal(compiled.match('notes://1/extra'), undefined);
  assert.deepEqual(compiled.match('notes://1'), { id: '1' });
});

test('variable names may contain dots, underscores and digits', () => {
  const compiled = compileUriTemplate('x://{a.b}/{c_1}');
  assert.deepEqual(compiled.variables, ['a.b', 'c_1']);
  assert.deepEqual(compiled.match('x://1/2'), { 'a.b': '1', c_1: '2' });
});

test('list expressions {a,b} are not supported and stay literal', () => {
  const compiled = compileUriTemplate('x://{a,b}');
  assert.deepEqual(compiled.variables, []);
  assert.equal(compiled.match('x://1,2'), undefined);
  assert.deepEqual(compiled.match('x://{a,b}'), {});
});

test('fragment {#var} (accepted by the compiler) matches its "#" prefix and yields the value without it', () => {
  // RFC 6570: {#frag} with frag="abc" expands to "#abc"; the inverse must give "abc".
  const compiled = compileUriTemplate('page://doc{#section}');
  assert.deepEqual(compiled.variables, ['section']);
  assert.deepEqual(compiled.match('page://doc#intro'), { section: 'intro' });
  assert.equal(compiled.match('page://docintro'), undefined);
});
