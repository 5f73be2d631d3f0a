import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpdError, type ErrorCode } from '../../../chassis/errors.js';
import { Sandbox } from './index.js';

let base: string;
let root: string;
let second: string;
let sandbox: Sandbox;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'mcpd-sandbox-')));
  root = join(base, 'root');
  second = join(base, 'second');
  await mkdir(join(root, 'docs', 'deep', 'deeper'), { recursive: true });
  await mkdir(second);
  await writeFile(join(root, 'docs', 'readme.md'), '# readme\n');
  await writeFile(join(root, 'docs', 'deep', 'a.txt'), 'a');
  await writeFile(join(root, 'docs', 'deep', 'deeper', 'b.txt'), 'b');
  await writeFile(join(second, 'other.txt'), 'other');
  await symlink('docs/readme.md', join(root, 'readme-link'));
  await symlink('.', join(root, 'docs', 'self'));
  await symlink(join(second, 'other.txt'), join(root, 'to-second'));
  await symlink('../outside', join(root, 'escape'));
  await symlink(join(base, 'alias-target'), join(base, 'alias'));
  sandbox = await Sandbox.create({ roots: [root, second], refuseHardLinks: true });
});
after(async () => rm(base, { recursive: true, force: true }));

async function failure(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return 'succeeded';
  } catch (error) {
    assert.ok(error instanceof McpdError, String(error));
    return `${error.code}: ${error.message}`;
  }
}

async function readText(box: Sandbox, path: string): Promise<string> {
  const opened = await box.openRead(path);
  try {
    return await opened.handle.readFile('utf8');
  } finally {
    await opened.handle.close();
  }
}

const code = (text: string): ErrorCode => text.split(':')[0] as ErrorCode;

describe('create and locate', () => {
  test('roots are listed with unique names and real paths', () => {
    assert.deepEqual(sandbox.roots, [
      { name: 'root', path: root },
      { name: 'second', path: second },
    ]);
  });

  test('a root configured through a symlink (/tmp → /private/tmp style) resolves, and its alias spelling still locates', async () => {
    await symlink(root, join(base, 'root-alias'));
    try {
      const aliased = await Sandbox.create({ roots: [join(base, 'root-alias')], refuseHardLinks: true });
      assert.deepEqual(aliased.roots, [{ name: 'root', path: root }]);
      assert.deepEqual(aliased.locate(join(base, 'root-alias', 'docs')), { root, absolute: join(root, 'docs'), display: 'docs' });
      assert.equal(await readText(aliased, join(base, 'root-alias', 'docs', 'readme.md')), '# readme\n');
      assert.equal(aliased.narrow([`file://${base}/root-alias/docs`]).roots[0].path, join(root, 'docs'));
    } finally {
      await rm(join(base, 'root-alias'));
    }
  });

  test('missing roots refuse to start', async () => {
    assert.match(await failure(Sandbox.create({ roots: [join(base, 'nope')], refuseHardLinks: true })), /^VALIDATION_ERROR: .*does not exist$/);
  });

  test('relative paths mean the first root; displays are relative there and absolute in the others', () => {
    assert.deepEqual(sandbox.locate('docs/readme.md'), { root, absolute: join(root, 'docs/readme.md'), display: 'docs/readme.md' });
    assert.deepEqual(sandbox.locate('.'), { root, absolute: root, display: '.' });
    assert.deepEqual(sandbox.locate(`${root}/docs/../docs`), { root, absolute: join(root, 'docs'), display: 'docs' });
    assert.deepEqual(sandbox.locate(`${second}/other.txt`), { root: second, absolute: join(second, 'other.txt'), display: join(second, 'other.txt') });
    assert.deepEqual(sandbox.locate(`file://${second}`), { root: second, absolute: second, display: second });
    assert.deepEqual(sandbox.locate('../second/x'), { root: second, absolute: join(second, 'x'), display: join(second, 'x') });
  });

  test('locate refuses what is outside or malformed, without touching the filesystem', async () => {
    assert.equal(await failure(() => sandbox.locate('../outside')), 'PERMISSION_DENIED: "../outside" is outside the allowed roots');
    assert.equal(await failure(() => sandbox.locate(`${base}/root-evil/x`)), `PERMISSION_DENIED: "${base}/root-evil/x" is outside the allowed roots`);
    assert.match(await failure(() => sandbox.locate('a\0b')), /^VALIDATION_ERROR: .*NUL/);
  });

  test('names that would read back as something else are displayed with ./ and round-trip', async () => {
    for (const name of ['~draft', 'c:notes', 'notes:today']) {
      await writeFile(join(root, name), name);
      try {
        assert.equal((await sandbox.stat(`./${name}`)).display, `./${name}`);
        assert.ok((await sandbox.readDir('.')).entries.some((entry) => entry.display === `./${name}`));
        assert.equal(await readText(sandbox, `./${name}`), name);
      } finally {
        await rm(join(root, name));
      }
    }
  });

  test('a sandbox narrowed to nothing refuses everything', async () => {
    const none = sandbox.narrow(['file:///']);
    assert.deepEqual(none.roots, []);
    assert.match(await failure(none.openRead('docs/readme.md')), /^PERMISSION_DENIED: No directory is accessible/);
    assert.match(await failure(none.writeAtomic('x', 'x', { overwrite: false, createParents: false })), /^PERMISSION_DENIED: No directory is accessible/);
  });

  test('a narrowed sandbox displays relative to its own first root', async () => {
    const docs = sandbox.narrow([`file://${root}/docs`]);
    assert.deepEqual(docs.roots, [{ name: 'docs', path: join(root, 'docs') }]);
    assert.equal(await readText(docs, 'readme.md'), '# readme\n');
    assert.equal(code(await failure(docs.openRead('../readme-link'))), 'PERMISSION_DENIED');
  });
});

describe('reading', () => {
  test('openRead gives a handle, the located target, size and mtime', async () => {
    const opened = await sandbox.openRead('docs/readme.md');
    try {
      assert.deepEqual(opened.located, { root, absolute: join(root, 'docs/readme.md'), display: 'docs/readme.md' });
      assert.equal(opened.size, 9);
      assert.ok(opened.modified instanceof Date);
      assert.equal(await sandbox.realPathOf(opened.handle), join(root, 'docs/readme.md'));
    } finally {
      await opened.handle.close();
    }
  });

  test('a symlink inside the roots is followed and reported as its target (even into another root)', async () => {
    const opened = await sandbox.openRead('readme-link');
    await opened.handle.close();
    assert.equal(opened.located.display, 'docs/readme.md');
    assert.equal(await readText(sandbox, 'to-second'), 'other');
  });

  test('directories, FIFOs and missing files are refused with their own codes', async () => {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    try {
      assert.equal(await failure(sandbox.openRead('docs')), 'VALIDATION_ERROR: docs is a directory, not a file');
      assert.match(await failure(sandbox.openRead('pipe')), /^PERMISSION_DENIED: pipe is not a regular file/);
      assert.equal(await failure(sandbox.openRead('docs/missing.md')), 'NOT_FOUND: docs/missing.md does not exist');
      assert.equal(await failure(sandbox.openRead('docs/readme.md/x')), 'NOT_FOUND: docs/readme.md/x does not exist (a part of the path is not a directory)');
      assert.equal(await failure(sandbox.openRead('escape/x')), 'NOT_FOUND: escape/x does not exist');
    } finally {
      await rm(join(root, 'pipe'));
    }
  });

  test('hard-linked files are refused when refuseHardLinks is on, read when off', async () => {
    await link(join(root, 'docs', 'readme.md'), join(root, 'hard.md'));
    try {
      assert.match(await failure(sandbox.openRead('hard.md')), /^PERMISSION_DENIED: hard\.md has 2 hard links/);
      const lenient = await Sandbox.create({ roots: [root], refuseHardLinks: false });
      assert.equal(await readText(lenient, 'hard.md'), '# readme\n');
    } finally {
      await rm(join(root, 'hard.md'));
    }
  });

  test('stat describes without following', async () => {
    await chmod(join(root, 'docs', 'readme.md'), 0o640);
    const file = await sandbox.stat('docs/readme.md');
    assert.equal(file.display, 'docs/readme.md');
    assert.equal(file.info.type, 'file');
    assert.equal(file.info.name, 'readme.md');
    assert.equal(file.info.size, 9);
    assert.equal(file.permissions, '640');
    assert.equal(file.links, 1);
    assert.ok(!Number.isNaN(Date.parse(file.info.modified)));
    const link = await sandbox.stat('readme-link');
    assert.equal(link.info.type, 'symlink');
    assert.equal(link.info.target, 'docs/readme.md');
    assert.equal((await sandbox.stat('escape')).info.target, undefined);
    const top = await sandbox.stat('.');
    assert.equal(top.info.name, 'root');
    assert.equal(top.info.type, 'directory');
  });

  test('readDir with a limit gives the first entries by name, whatever order the directory holds them in', async () => {
    const many = join(root, 'many');
    await mkdir(many);
    try {
      // Created in reverse order: a directory's own order is not the name order.
      for (let i = 59; i >= 0; i--) await writeFile(join(many, `e${String(i).padStart(2, '0')}`), '');
      const all = (await sandbox.readDir('many')).entries.map((entry) => entry.name);
      assert.equal(all.length, 60);
      assert.deepEqual(all, [...all].sort());
      const first = await sandbox.readDir('many', { limit: 7 });
      assert.deepEqual(first.entries.map((entry) => entry.name), all.slice(0, 7));
      const walked: string[] = [];
      for await (const entry of sandbox.walk('many', { maxDepth: 1, maxEntries: 5 })) walked.push(entry.name);
      assert.deepEqual(walked, all.slice(0, 5));
    } finally {
      await rm(many, { recursive: true });
    }
  });

  test('readDir lists sorted entries with types and inside targets', async () => {
    const { located, entries } = await sandbox.readDir('docs');
    assert.equal(located.display, 'docs');
    assert.deepEqual(
      entries.map((entry) => [entry.display, entry.type, entry.target]),
      [
        ['docs/deep', 'directory', undefined],
        ['docs/readme.md', 'file', undefined],
        ['docs/self', 'symlink', 'docs'],
      ],
    );
    assert.equal(await failure(sandbox.readDir('docs/readme.md')), 'VALIDATION_ERROR: docs/readme.md is not a directory');
  });

  test('walk: depth-first, symlinks reported not followed, caps reported', async () => {
    const walk = sandbox.walk('docs', { maxDepth: 10, maxEntries: 100 });
    const seen: string[] = [];
    let next = await walk.next();
    while (!next.done) {
      seen.push(`${next.value.depth} ${next.value.display} ${next.value.type}`);
      next = await walk.next();
    }
    assert.deepEqual(seen, ['1 docs/deep directory', '2 docs/deep/a.txt file', '2 docs/deep/deeper directory', '3 docs/deep/deeper/b.txt file', '1 docs/readme.md file', '1 docs/self symlink']);
    assert.deepEqual(next.value, { entriesCapped: false, depthCapped: false });

    const shallow = sandbox.walk('docs', { maxDepth: 1, maxEntries: 100 });
    const top: string[] = [];
    let step = await shallow.next();
    for (; !step.done; step = await shallow.next()) top.push(step.value.display);
    assert.deepEqual(top, ['docs/deep', 'docs/readme.md', 'docs/self']);
    assert.deepEqual(step.value, { entriesCapped: false, depthCapped: true });

    const capped = sandbox.walk('docs', { maxDepth: 10, maxEntries: 2 });
    let count = 0;
    let last = await capped.next();
    for (; !last.done; last = await capped.next()) count++;
    assert.equal(count, 2);
    assert.deepEqual(last.value, { entriesCapped: true, depthCapped: false });
  });

  test('walk stops when aborted and closes what it opened when the caller breaks', async () => {
    const controller = new AbortController();
    const walk = sandbox.walk('.', { maxDepth: 10, maxEntries: 100, signal: controller.signal });
    await walk.next();
    controller.abort();
    assert.match(await failure(walk.next()), /^CANCELLED/);
    for await (const entry of sandbox.walk('.', { maxDepth: 10, maxEntries: 100 })) {
      assert.ok(entry);
      break;
    }
  });
});

describe('writing', () => {
  test('writeAtomic creates, refuses to overwrite unless asked, keeps permissions, leaves no temporary files', async () => {
    assert.deepEqual(await sandbox.writeAtomic('out/new.txt', 'one', { overwrite: false, createParents: true }), {
      located: { root, absolute: join(root, 'out/new.txt'), display: 'out/new.txt' },
      created: true,
      bytes: 3,
    });
    assert.equal(await failure(sandbox.writeAtomic('out/new.txt', 'two', { overwrite: false, createParents: false })), 'CONFLICT: out/new.txt already exists (set overwrite to replace it)');
    await chmod(join(root, 'out', 'new.txt'), 0o600);
    const replaced = await sandbox.writeAtomic('out/new.txt', new TextEncoder().encode('three'), { overwrite: true, createParents: false });
    assert.equal(replaced.created, false);
    assert.equal(replaced.bytes, 5);
    assert.equal(await readFile(join(root, 'out', 'new.txt'), 'utf8'), 'three');
    assert.equal((await stat(join(root, 'out', 'new.txt'))).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(root, 'out')), ['new.txt']);
  });

  test('writeAtomic refuses directories, roots, missing parents and symlinks', async () => {
    assert.equal(await failure(sandbox.writeAtomic('docs', 'x', { overwrite: true, createParents: false })), 'CONFLICT: docs is a directory');
    assert.equal(await failure(sandbox.writeAtomic('.', 'x', { overwrite: true, createParents: false })), 'CONFLICT: . is a directory');
    assert.equal(await failure(sandbox.writeAtomic('nowhere/x.txt', 'x', { overwrite: false, createParents: false })), 'NOT_FOUND: nowhere does not exist');
    assert.match(await failure(sandbox.writeAtomic('readme-link', 'x', { overwrite: true, createParents: false })), /^PERMISSION_DENIED: readme-link is a symbolic link/);
    assert.equal(await readFile(join(root, 'docs', 'readme.md'), 'utf8'), '# readme\n');
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.mcpd-')), []);
  });

  test('concurrent writers of one new name without overwrite: exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => failure(sandbox.writeAtomic('race.txt', `writer ${i}`, { overwrite: false, createParents: false }))));
    assert.equal(results.filter((result) => result === 'succeeded').length, 1);
    assert.equal(results.filter((result) => result.startsWith('CONFLICT')).length, 19);
    assert.match(await readFile(join(root, 'race.txt'), 'utf8'), /^writer \d+$/);
    assert.deepEqual((await readdir(root)).filter((name) => name.startsWith('.mcpd-')), []);
  });

  test('mkdir: created, existing, parents, conflicts', async () => {
    assert.deepEqual(await sandbox.mkdir('made', { parents: false }), { located: { root, absolute: join(root, 'made'), display: 'made' }, created: true });
    assert.equal((await sandbox.mkdir('made', { parents: false })).created, false);
    assert.equal((await sandbox.mkdir('.', { parents: false })).created, false);
    assert.equal(await failure(sandbox.mkdir('made/a/b', { parents: false })), 'NOT_FOUND: made/a does not exist');
    assert.equal((await sandbox.mkdir('made/a/b', { parents: true })).located.display, 'made/a/b');
    assert.equal(await failure(sandbox.mkdir('docs/readme.md', { parents: false })), 'CONFLICT: docs/readme.md exists and is not a directory');
    assert.equal(await failure(sandbox.mkdir('docs/readme.md/x', { parents: true })), 'CONFLICT: docs/readme.md exists and is not a directory');
  });

  test('move: rename, no overwrite unless asked, directories, links, roots', async () => {
    await writeFile(join(root, 'm1.txt'), 'm1');
    await writeFile(join(root, 'm2.txt'), 'm2');
    assert.deepEqual(await sandbox.move('m1.txt', 'made/m1.txt', { overwrite: false }), {
      from: { root, absolute: join(root, 'm1.txt'), display: 'm1.txt' },
      to: { root, absolute: join(root, 'made/m1.txt'), display: 'made/m1.txt' },
    });
    assert.equal(await failure(sandbox.move('m2.txt', 'made/m1.txt', { overwrite: false })), 'CONFLICT: made/m1.txt already exists (set overwrite to replace it)');
    await sandbox.move('m2.txt', 'made/m1.txt', { overwrite: true });
    assert.equal(await readFile(join(root, 'made', 'm1.txt'), 'utf8'), 'm2');
    assert.equal(await failure(sandbox.move('m2.txt', 'x.txt', { overwrite: false })), 'NOT_FOUND: m2.txt does not exist');
    assert.match(await failure(sandbox.move('made', 'made/a/inside', { overwrite: false })), /^VALIDATION_ERROR: made\/a\/inside: invalid operation/);
    assert.equal(await failure(sandbox.move('.', 'elsewhere', { overwrite: false })), 'PERMISSION_DENIED: . is a root directory; it cannot be replaced, moved or removed');
    await sandbox.move('made/a', 'made-a', { overwrite: false });
    assert.equal((await sandbox.stat('made-a/b')).info.type, 'directory');
    await sandbox.move('to-second', 'docs/to-second', { overwrite: false });
    assert.equal((await sandbox.stat('docs/to-second')).info.type, 'symlink');
    await sandbox.move('docs/to-second', 'to-second', { overwrite: false });
    const across = await sandbox.move(`${second}/other.txt`, 'other.txt', { overwrite: false });
    assert.equal(across.to.display, 'other.txt');
    await sandbox.move('other.txt', `${second}/other.txt`, { overwrite: false });
  });

  test('remove: files, links (not their targets), empty and non-empty directories', async () => {
    await sandbox.mkdir('gone/a/b', { parents: true });
    await writeFile(join(root, 'gone', 'a', 'f.txt'), 'f');
    await symlink('../../docs', join(root, 'gone', 'a', 'link'));
    assert.equal(await failure(sandbox.remove('gone', { recursive: false })), 'CONFLICT: gone is a directory that is not empty (set recursive to remove it with its contents)');
    assert.deepEqual(await sandbox.remove('gone', { recursive: true }), { located: { root, absolute: join(root, 'gone'), display: 'gone' }, removed: 5 });
    assert.equal((await stat(join(root, 'docs', 'readme.md'))).isFile(), true);
    await sandbox.mkdir('empty', { parents: false });
    assert.equal((await sandbox.remove('empty', { recursive: false })).removed, 1);
    await symlink('docs', join(root, 'docs-link'));
    assert.equal((await sandbox.remove('docs-link', { recursive: true })).removed, 1);
    assert.equal((await stat(join(root, 'docs'))).isDirectory(), true);
    assert.equal(await failure(sandbox.remove('gone', { recursive: true })), 'NOT_FOUND: gone does not exist');
    assert.equal(code(await failure(sandbox.remove('.', { recursive: true }))), 'PERMISSION_DENIED');
    assert.equal(code(await failure(sandbox.remove(second, { recursive: true }))), 'PERMISSION_DENIED');
  });
});
