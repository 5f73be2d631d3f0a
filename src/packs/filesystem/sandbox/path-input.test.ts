import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpdError } from '../../../chassis/errors.js';
import { parsePathInput, resolveComponents } from './path-input.js';

function verdict(input: unknown): string {
  try {
    const parsed = parsePathInput(input);
    return `${parsed.absolute ? 'absolute' : 'relative'} ${JSON.stringify(parsed.components)}`;
  } catch (error) {
    assert.ok(error instanceof McpdError);
    return `${error.code}: ${error.message}`;
  }
}

test('plain POSIX paths split into components; . and empty ones drop, .. stays for later', () => {
  assert.equal(verdict('docs/readme.md'), 'relative ["docs","readme.md"]');
  assert.equal(verdict('./a//b/./c/'), 'relative ["a","b","c"]');
  assert.equal(verdict('.'), 'relative []');
  assert.equal(verdict('/srv/data/../x'), 'absolute ["srv","data","..","x"]');
  assert.equal(verdict('/'), 'absolute []');
  assert.equal(verdict('./~backup'), 'relative ["~backup"]');
  assert.equal(verdict('./c:notes'), 'relative ["c:notes"]');
  assert.equal(verdict('..%2fsecret'), 'relative ["..%2fsecret"]');
  assert.equal(verdict('caf\u00e9/cafe\u0301'), 'relative ["caf\u00e9","cafe\u0301"]');
  assert.equal(verdict('\u{1F600}.txt'), 'relative ["\u{1F600}.txt"]');
});

test('file:// URLs are decoded once by the WHATWG parser (which removes %2e%2e segments)', () => {
  assert.equal(verdict('file:///srv/data/a%20b.txt'), 'absolute ["srv","data","a b.txt"]');
  assert.equal(verdict('file://localhost/srv/x'), 'absolute ["srv","x"]');
  assert.equal(verdict('FILE:///srv/x'), 'absolute ["srv","x"]');
  assert.equal(verdict('file:///srv/data/%2e%2e/%2E%2E/etc/passwd'), 'absolute ["etc","passwd"]');
  assert.equal(verdict('file:///srv/caf%C3%A9'), 'absolute ["srv","caf\u00e9"]');
});

test('everything that is not a local POSIX path is refused', () => {
  const cases: [unknown, RegExp][] = [
    [42, /must be a string/],
    ['', /is empty/],
    ['a\0b', /NUL byte/],
    ['file:///srv/a%00b', /NUL byte/],
    ['a\nb', /control characters/],
    ['a\u007fb', /control characters/],
    ['file:///srv/a%0Ab', /control characters/],
    ['a\ud800b', /not valid Unicode/],
    ['~', /home-directory/],
    ['~/x', /home-directory/],
    ['~root/x', /home-directory/],
    ['C:', /drive letter/],
    ['c:/windows', /drive letter/],
    ['C:\\Windows', /backslash/],
    ['..\\x', /backslash/],
    ['\\\\server\\share', /backslash/],
    ['a\\b', /backslash/],
    ['file:///srv/a%5Cb', /backslash/],
    ['//server/share', /network share/],
    ['http://example.com/x', /only file:\/\/ URLs/],
    ['data:text/plain,x', /only file:\/\/ URLs/],
    ['notes:today', /only file:\/\/ URLs/],
    ['file:/srv/x', /only file:\/\/ URLs/],
    ['file://server/share/x', /names a host/],
    ['file:///srv/x?y=1', /query or fragment/],
    ['file:///srv/x#y', /query or fragment/],
    ['file:///srv/..%2Fetc', /encoded \//],
    ['file://[::1/x', /not a valid file:\/\/ URL/],
    ['a/'.repeat(2048), /too long/],
    ['x'.repeat(256), /longer than 255 bytes/],
    ['\u00e9'.repeat(128), /longer than 255 bytes/],
  ];
  for (const [input, message] of cases) {
    const result = verdict(input);
    assert.match(result, /^VALIDATION_ERROR: /, `${JSON.stringify(input)} → ${result}`);
    assert.match(result, message, `${JSON.stringify(input)} → ${result}`);
  }
});

test('limits: exactly 255-byte names and 4095-byte paths pass', () => {
  assert.match(verdict('x'.repeat(255)), /^relative/);
  assert.match(verdict(`${'a/'.repeat(2047)}b`), /^relative/);
});

test('messages quote the input, shortened, with controls escaped', () => {
  assert.match(verdict(`${'a'.repeat(200)}\0`), /^VALIDATION_ERROR: The path "a{117}\.\.\." contains a NUL byte$/);
});

test('resolveComponents resolves .. lexically and stops at /', () => {
  assert.deepEqual(resolveComponents(['srv', 'root'], ['a', '..', 'b']), ['srv', 'root', 'b']);
  assert.deepEqual(resolveComponents(['srv'], ['..', '..', '..', 'etc']), ['etc']);
  assert.deepEqual(resolveComponents([], ['..']), []);
});
