import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpdError } from '../../../chassis/errors.js';
import { narrowRoots, resolveRoots, type Root } from './roots.js';

let base: string;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'mcpd-roots-')));
  for (const dir of ['a/sub/deeper', 'b', 'c/x', 'c2/x', 'root', 'root-evil', 'caf\u00e9', 'cafe\u0301/sub']) await mkdir(join(base, dir), { recursive: true });
  await writeFile(join(base, 'file.txt'), 'x');
  await symlink('a', join(base, 'alias-of-a'));
});
after(async () => rm(base, { recursive: true, force: true }));

async function refusal(roots: string[]): Promise<string> {
  try {
    await resolveRoots(roots);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof McpdError);
    return `${error.code}: ${error.message}`;
  }
}

test('roots resolve to their real path; the configured spelling stays an alias', async () => {
  const [root] = await resolveRoots([join(base, 'alias-of-a')]);
  assert.equal(root.path, join(base, 'a'));
  assert.equal(root.name, 'a');
  assert.deepEqual(root.spellings.length, 2);
});

test('missing roots, files and overlapping roots refuse to start', async () => {
  assert.match(await refusal([join(base, 'missing')]), /^VALIDATION_ERROR: The filesystem root .*missing does not exist$/);
  assert.match(await refusal([join(base, 'file.txt')]), /^VALIDATION_ERROR: .*file\.txt is not a directory$/);
  assert.match(await refusal([join(base, 'a'), join(base, 'a/sub')]), /overlap/);
  assert.match(await refusal([join(base, 'a/sub'), join(base, 'a')]), /overlap/);
  assert.match(await refusal([join(base, 'a'), join(base, 'alias-of-a')]), /are the same directory/);
  assert.equal(await refusal([join(base, 'root'), join(base, 'root-evil')]), 'accepted', 'a shared prefix is not an overlap');
  assert.equal(await refusal([]), 'accepted');
  assert.match(await refusal([join(base, 'caf\u00e9'), join(base, 'cafe\u0301/sub')]), /overlap .*NFC/, 'an NFC root and a directory below its NFD twin');
  assert.match(await refusal([join(base, 'caf\u00e9'), join(base, 'cafe\u0301')]), /overlap/, 'NFC and NFD twins');
});

test('names are unique', async () => {
  const roots = await resolveRoots([join(base, 'c/x'), join(base, 'c2/x'), join(base, 'b')]);
  assert.deepEqual(roots.map((root) => root.name), ['x', 'x-2', 'b']);
});

test('narrowing keeps client roots at or below a root, ignores everything else, never widens', async () => {
  const roots = await resolveRoots([join(base, 'alias-of-a'), join(base, 'b')]);
  const narrow = (uris: string[]) => narrowRoots(roots, uris).map((root: Root) => root.path);
  assert.deepEqual(narrow([`file://${base}/a`]), [join(base, 'a')]);
  assert.deepEqual(narrow([`file://${base}/a/sub`]), [join(base, 'a/sub')]);
  assert.deepEqual(narrow([`file://${base}/alias-of-a/sub`]), [join(base, 'a/sub')], 'the configured spelling maps onto the real root');
  assert.deepEqual(narrow(['file:///']), []);
  assert.deepEqual(narrow([`file://${base}`]), [], 'a parent of a root is ignored');
  assert.deepEqual(narrow([`file://${base}/root-evil`, `file://${base}/a-evil`]), []);
  assert.deepEqual(narrow([`file://${base}/a/sub/../../root`]), []);
  assert.deepEqual(narrow([`file://${base}/a/%2e%2e/root`]), []);
  assert.deepEqual(narrow(['https://example.com/', `${base}/a`, 'file://host/x', 'not a uri', '']), []);
  assert.deepEqual(narrow([`file://${base}/a/sub/deeper`, `file://${base}/a/sub`, `file://${base}/b`, `file://${base}/a/sub`]), [join(base, 'a/sub'), join(base, 'b')], 'nested and repeated roots collapse');
  assert.deepEqual(narrowRoots(roots, [`file://${base}/a/sub`, `file://${base}/b`]).map((root) => root.name), ['sub', 'b']);
  const narrowed = narrowRoots(roots, [`file://${base}/a/sub`]);
  assert.deepEqual(narrowRoots(narrowed, [`file://${base}/a`]), [], 'narrowing twice never widens back');
});
