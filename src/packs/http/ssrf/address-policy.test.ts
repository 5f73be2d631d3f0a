import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpdError } from '../../../chassis/errors.js';
import { AddressPolicy, classify, embeddedIPv4 } from './address-policy.js';

const refusalOf = (policy: AddressPolicy, ip: string): McpdError | undefined => {
  try {
    policy.check(ip);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof McpdError);
    return error;
  }
};

test('classify names every special-purpose range the way ipaddr.js does', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['198.18.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:7f00:1', 'ipv4Mapped'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['::7f00:1', 'ipv4Compatible'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['1::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['8.8.8.8', 'unicast'],
    ['1.1.1.1', 'unicast'],
    ['93.184.216.34', 'unicast'],
    ['2606:4700:4700::1111', 'unicast'],
    ['2001:4860:4860::8888', 'unicast'],
  ];
  for (const [ip, range] of cases) assert.equal(classify(ip), range, ip);
});

test('brackets and zone ids are not part of the address', () => {
  assert.equal(classify('[::1]'), 'loopback');
  assert.equal(classify('fe80::1%eth0'), 'linkLocal');
  assert.equal(classify('fe80::1%en0.100'), 'linkLocal');
  assert.equal(classify('[fe80::1%25eth0]'), 'linkLocal');
  const policy = new AddressPolicy(['fe80::/10']);
  assert.equal(policy.isAllowed('fe80::1%eth0'), true);
});

test('only canonical IP text is an address: shorthand IPv4 and names are not', () => {
  for (const text of ['127.1', '0x7f000001', '2130706433', '017700000001', 'localhost', '', '1.2.3.4.5', '::g']) {
    assert.throws(() => classify(text), /is not an IP address/, text);
    assert.match(refusalOf(new AddressPolicy([]), text)?.message ?? '', /is not an IP address/, text);
  }
});

test('embedded IPv4 addresses are found in every form that carries one', () => {
  assert.equal(embeddedIPv4('::ffff:7f00:1'), '127.0.0.1');
  assert.equal(embeddedIPv4('::7f00:1'), '127.0.0.1');
  assert.equal(embeddedIPv4('::ffff:0:a00:1'), '10.0.0.1');
  assert.equal(embeddedIPv4('64:ff9b::a9fe:a9fe'), '169.254.169.254');
  assert.equal(embeddedIPv4('2002:c0a8:101::1'), '192.168.1.1');
  // Teredo: server 65.54.227.120, client 192.0.2.45 stored inverted.
  assert.equal(embeddedIPv4('2001:0:4136:e378:8000:63bf:3fff:fdd2'), '192.0.2.45');
  assert.equal(embeddedIPv4('2606:4700::1'), undefined);
  assert.equal(embeddedIPv4('127.0.0.1'), undefined);
});

test('by default only public unicast passes, and reasons name the class', () => {
  const policy = new AddressPolicy([]);
  for (const ip of ['8.8.8.8', '93.184.216.34', '2606:4700:4700::1111']) assert.doesNotThrow(() => policy.check(ip), ip);
  const reason = (ip: string) => refusalOf(policy, ip);
  const error = reason('127.0.0.1');
  assert.equal(error?.code, 'PERMISSION_DENIED');
  assert.equal(error?.message, 'Destination not allowed: 127.0.0.1 is a loopback address');
  assert.match(reason('10.1.2.3')!.message, /is a private address$/);
  assert.match(reason('169.254.169.254')!.message, /is a link-local address$/);
  assert.match(reason('100.64.0.1')!.message, /is a carrier-grade NAT address$/);
  assert.match(reason('fd00::1')!.message, /is a unique-local address$/);
  assert.match(reason('0.0.0.0')!.message, /is an unspecified address$/);
  assert.match(reason('255.255.255.255')!.message, /is a broadcast address$/);
  assert.match(reason('::ffff:7f00:1')!.message, /is an IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)$/);
  assert.match(reason('::ffff:8.8.8.8')!.message, /is an IPv4-mapped IPv6 address \(embedding 8\.8\.8\.8\)$/);
  assert.match(reason('64:ff9b::a9fe:a9fe')!.message, /is a NAT64 address \(embedding 169\.254\.169\.254, a link-local address\)$/);
  assert.match(reason('2002:7f00:1::')!.message, /is a 6to4 address \(embedding 127\.0\.0\.1, a loopback address\)$/);
  assert.match(reason('::127.0.0.1')!.message, /is an IPv4-compatible IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)$/);
  assert.match(reason('2001:0:4136:e378:8000:63bf:3fff:fdd2')!.message, /is a Teredo address \(embedding 192\.0\.2\.45, a reserved address\)$/);
});

test('allowPrivateNetworks lets exactly the listed ranges through', () => {
  const policy = new AddressPolicy(['127.0.0.1/32', '10.1.2.0/24', 'fd00:1::/32', '192.168.7.7']);
  for (const ip of ['127.0.0.1', '10.1.2.3', '10.1.2.255', 'fd00:1::5', '192.168.7.7']) assert.equal(policy.isAllowed(ip), true, ip);
  for (const ip of ['127.0.0.2', '10.1.3.1', 'fd00:2::1', '192.168.7.8', '::1', '169.254.169.254']) assert.equal(policy.isAllowed(ip), false, ip);
  // Public addresses do not need listing.
  assert.equal(policy.isAllowed('8.8.8.8'), true);
});

test('an IPv4-mapped address is the same destination as its IPv4 address; other embeddings are not', () => {
  const policy = new AddressPolicy(['127.0.0.1/32']);
  assert.equal(policy.isAllowed('::ffff:127.0.0.1'), true);
  assert.equal(policy.isAllowed('::ffff:7f00:2'), false);
  assert.equal(policy.isAllowed('::127.0.0.1'), false);
  assert.equal(policy.isAllowed('64:ff9b::7f00:1'), false);
  assert.equal(policy.isAllowed('2002:7f00:1::'), false);
  // Allowed as IPv6 ranges, they pass.
  assert.equal(new AddressPolicy(['64:ff9b::/96']).isAllowed('64:ff9b::7f00:1'), true);
});

test('a range that is not a CIDR is a configuration error', () => {
  for (const bad of ['localhost', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', '127.1']) {
    assert.throws(
      () => new AddressPolicy([bad]),
      (error: unknown) => error instanceof McpdError && error.code === 'VALIDATION_ERROR' && error.message.includes('allowPrivateNetworks'),
      bad,
    );
  }
});

test('remembered verdicts: a repeated address gets the same answer, and so does every address past the memory bound', () => {
  const policy = new AddressPolicy(['10.1.0.0/16']);
  for (let round = 0; round < 2; round++) {
    assert.equal(policy.refusal('127.0.0.1'), 'a loopback address');
    assert.equal(policy.refusal('10.1.2.3'), undefined);
    assert.equal(policy.refusal('10.2.0.1'), 'a private address');
    assert.equal(policy.refusal('8.8.8.8'), undefined);
  }
  // More distinct addresses than are remembered: the memory is cleared and refilled, never wrong.
  for (let i = 0; i < 3000; i++) {
    const ip = `10.${(i >> 8) & 255}.${i & 255}.1`;
    assert.equal(policy.refusal(ip), ip.startsWith('10.1.') ? undefined : 'a private address', ip);
  }
  assert.equal(policy.refusal('127.0.0.1'), 'a loopback address');
});
