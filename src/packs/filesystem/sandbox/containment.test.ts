import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWithinBytes, matchComponents, relativeBytes, splitAbsolute } from './containment.js';

const b = (text: string) => Buffer.from(text);

test('containment is by whole components, never by string prefix', () => {
  assert.equal(isWithinBytes(b('/srv/root'), b('/srv/root')), true);
  assert.equal(isWithinBytes(b('/srv/root/a'), b('/srv/root')), true);
  assert.equal(isWithinBytes(b('/srv/root/a/b'), b('/srv/root')), true);
  assert.equal(isWithinBytes(b('/srv/root-evil'), b('/srv/root')), false);
  assert.equal(isWithinBytes(b('/srv/rootx/a'), b('/srv/root')), false);
  assert.equal(isWithinBytes(b('/srv/roo'), b('/srv/root')), false);
  assert.equal(isWithinBytes(b('/srv'), b('/srv/root')), false);
  assert.equal(isWithinBytes(b('/etc/passwd'), b('/')), true);
  assert.equal(isWithinBytes(b('/'), b('/')), true);
});

test('kernel paths compare byte for byte: NFC and NFD twins are different directories on Linux', () => {
  assert.equal(isWithinBytes(b('/srv/cafe\u0301/x'), b('/srv/caf\u00e9')), false);
  assert.equal(isWithinBytes(b('/srv/caf\u00e9/x'), b('/srv/caf\u00e9')), true);
  assert.equal(isWithinBytes(b('/srv/ROOT/x'), b('/srv/root')), false);
  // two different invalid UTF-8 names would both decode to U+FFFD; bytes tell them apart
  assert.equal(isWithinBytes(Buffer.from([0x2f, 0xff, 0x2f, 0x61]), Buffer.from([0x2f, 0xfe])), false);
});

test('relativeBytes gives the part below the root', () => {
  assert.equal(relativeBytes(b('/srv/root/a/b'), b('/srv/root')).toString(), 'a/b');
  assert.equal(relativeBytes(b('/srv/root'), b('/srv/root')).toString(), '');
  assert.equal(relativeBytes(b('/etc/x'), b('/')).toString(), 'etc/x');
});

test('lexical matching compares components in NFC, case-sensitively', () => {
  const root = splitAbsolute('/srv/caf\u00e9');
  assert.equal(matchComponents(['srv', 'cafe\u0301', 'x'], root), true);
  assert.equal(matchComponents(['srv', 'caf\u00e9'], root), true);
  assert.equal(matchComponents(['srv', 'CAF\u00c9'], root), false);
  assert.equal(matchComponents(['srv', 'caf\u00e9-evil'], root), false);
  assert.equal(matchComponents(['srv'], root), false);
  assert.equal(matchComponents(['anything'], []), true);
});
