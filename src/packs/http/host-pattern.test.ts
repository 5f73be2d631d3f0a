import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMatches } from './host-pattern.js';

test('exact patterns match only that host, whatever the case or a trailing dot', () => {
  assert.equal(hostMatches('api.example.com', 'API.Example.com.'), true);
  assert.equal(hostMatches('api.example.com.', 'api.example.com'), true);
  assert.equal(hostMatches('api.example.com', 'xapi.example.com'), false);
  assert.equal(hostMatches('api.example.com', 'api.example.com.evil.net'), false);
  assert.equal(hostMatches('[::1]', '[::1]'), true);
});

test('wildcards match names below the domain at any depth, never the domain itself or a lookalike', () => {
  assert.equal(hostMatches('*.example.com', 'a.example.com'), true);
  assert.equal(hostMatches('*.example.com', 'a.b.example.com'), true);
  assert.equal(hostMatches('*.example.com', 'example.com'), false);
  assert.equal(hostMatches('*.example.com', 'evilexample.com'), false);
  assert.equal(hostMatches('*.example.com', 'example.com.evil.net'), false);
});
