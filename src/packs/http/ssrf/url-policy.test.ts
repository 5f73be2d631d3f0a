import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpdError } from '../../../chassis/errors.js';
import { AddressPolicy } from './address-policy.js';
import { UrlPolicy, type UrlPolicySettings } from './url-policy.js';

const DEFAULTS: UrlPolicySettings = { allowHosts: [], denyHosts: [], allowedPorts: [80, 443] };

function verdict(policy: UrlPolicy, url: string): string {
  try {
    policy.check(new URL(url));
    return 'allowed';
  } catch (error) {
    assert.ok(error instanceof McpdError, String(error));
    return `${error.code}: ${error.message}`;
  }
}

test('the URL parser already spells every IPv4 form as dotted-quad and brackets IPv6', () => {
  const hosts: [string, string][] = [
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://017700000001/', '127.0.0.1'],
    ['http://0177.0.0.01/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.000.000.001/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ['http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://[::1]/', '[::1]'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::127.0.0.1]/', '[::7f00:1]'],
    ['http://127.0.0.1\\@example.com/', '127.0.0.1'],
  ];
  for (const [url, hostname] of hosts) assert.equal(new URL(url).hostname, hostname, url);
  // Zone ids cannot be written in a URL at all.
  assert.throws(() => new URL('http://[fe80::1%25eth0]/'));
});

test('only http and https', () => {
  const policy = new UrlPolicy(DEFAULTS);
  assert.equal(verdict(policy, 'http://example.com/'), 'allowed');
  assert.equal(verdict(policy, 'https://example.com/'), 'allowed');
  for (const url of ['file:///etc/passwd', 'ftp://example.com/', 'gopher://example.com/', 'data:text/plain,hi', 'ws://example.com/', 'javascript:alert(1)', 'dict://example.com:11211/']) {
    assert.match(verdict(policy, url), /^VALIDATION_ERROR: Only http and https URLs are allowed, not [a-z]+:$/, url);
  }
});

test('credentials never travel in the URL', () => {
  const policy = new UrlPolicy(DEFAULTS);
  for (const url of ['http://user:secret@example.com/', 'http://user@example.com/', 'http://:secret@example.com/', 'http://example.com@127.0.0.1/']) {
    assert.match(verdict(policy, url), /^VALIDATION_ERROR: URLs may not carry credentials/, url);
  }
});

test('ports: the scheme default counts when none is given, others must be listed', () => {
  const policy = new UrlPolicy(DEFAULTS);
  assert.equal(verdict(policy, 'http://example.com:80/'), 'allowed');
  assert.equal(verdict(policy, 'https://example.com/'), 'allowed');
  assert.equal(verdict(policy, 'http://example.com:443/'), 'allowed');
  assert.equal(verdict(policy, 'http://example.com:8080/'), 'PERMISSION_DENIED: Destination not allowed: port 8080 is not allowed (allowed: 80, 443)');
  assert.match(verdict(policy, 'https://example.com:22/'), /^PERMISSION_DENIED: .*port 22/);
  assert.equal(verdict(new UrlPolicy({ ...DEFAULTS, allowedPorts: [8443] }), 'https://example.com/'), 'PERMISSION_DENIED: Destination not allowed: port 443 is not allowed (allowed: 8443)');
});

test('deny wins over allow; patterns ignore case and a trailing dot', () => {
  const policy = new UrlPolicy({ ...DEFAULTS, allowHosts: ['api.example.com', '*.example.org'], denyHosts: ['*.internal.example.org', 'Metadata.Google.Internal.'] });
  assert.equal(verdict(policy, 'https://api.example.com/'), 'allowed');
  assert.equal(verdict(policy, 'https://API.EXAMPLE.COM./'), 'allowed');
  assert.equal(verdict(policy, 'https://a.b.example.org/'), 'allowed');
  assert.match(verdict(policy, 'https://example.org/'), /^PERMISSION_DENIED: .*the host example\.org is not among the allowed hosts/);
  assert.match(verdict(policy, 'https://evil.com/'), /not among the allowed hosts/);
  assert.match(verdict(policy, 'https://api.example.com.evil.com/'), /not among the allowed hosts/);
  assert.match(verdict(policy, 'https://x.Internal.Example.org./'), /^PERMISSION_DENIED: .*the host x\.internal\.example\.org is denied/);
  assert.match(verdict(new UrlPolicy({ ...DEFAULTS, denyHosts: ['metadata.google.internal'] }), 'http://METADATA.google.internal./'), /is denied/);
});

test('IP patterns match however the list or the URL spells the address', () => {
  const policy = new UrlPolicy({ ...DEFAULTS, denyHosts: ['2130706433', '::1', '[0:0:0:0:0:ffff:a9fe:a9fe]'] });
  assert.match(verdict(policy, 'http://127.0.0.1/'), /is denied/);
  assert.match(verdict(policy, 'http://0x7f.1/'), /is denied/);
  assert.match(verdict(policy, 'http://[::1]/'), /is denied/);
  assert.match(verdict(policy, 'http://[::ffff:169.254.169.254]/'), /is denied/);
  assert.equal(verdict(policy, 'http://93.184.216.34/'), 'allowed');
});

test('with an address policy, IP literals are vetted up front', () => {
  const policy = new UrlPolicy(DEFAULTS, new AddressPolicy([]));
  assert.equal(verdict(policy, 'http://127.1/'), 'PERMISSION_DENIED: Destination not allowed: 127.0.0.1 is a loopback address');
  assert.match(verdict(policy, 'http://[::ffff:127.0.0.1]/'), /IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)/);
  assert.match(verdict(policy, 'http://[fd00::1]/'), /unique-local/);
  assert.equal(verdict(policy, 'http://93.184.216.34/'), 'allowed');
  // Names are left to the vetted agent, which resolves them.
  assert.equal(verdict(policy, 'http://localhost/'), 'allowed');
  assert.equal(verdict(new UrlPolicy(DEFAULTS, new AddressPolicy(['127.0.0.0/8'])), 'http://127.0.0.1/'), 'allowed');
});
