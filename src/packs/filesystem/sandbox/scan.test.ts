/**
 * Sandbox.scanFiles end to end: the verified start directory, a scanner
 * thread (the library build's scan-worker.js: `npm run build` first), batches
 * back in the walk's order, caps, containment, cancellation and the pool.
 * The race cases at exact points are in scan-tree.test.ts; concurrent swaps in
 * test/integration/filesystem-escape.test.ts.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpdError } from '../../../chassis/errors.js';
import { Sandbox, type ScanOptions, type ScanSummary } from './index.js';

const MARKER = 'OUTSIDE-MARKER-52aa';
let base: string;
let root: string;
let sandbox: Sandbox;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'mcpd-scan-')));
  root = join(base, 'root');
  await mkdir(join(base, 'outside', 'dir'), { recursive: true });
  await writeFile(join(base, 'outside', 'secret.txt'), MARKER);
  await writeFile(join(base, 'outside', 'dir', 'inner.txt'), MARKER);
  // 600 files over three levels (more than two batches), plus links of every kind.
  for (let a = 0; a < 6; a++) {
    for (let b = 0; b < 10; b++) {
      await mkdir(join(root, 'tree', `a${a}`, `b${b}`), { recursive: true });
      for (let f = 0; f < 10; f++) await writeFile(join(root, 'tree', `a${a}`, `b${b}`, `f${f}.txt`), `a${a}/b${b}/f${f}\n`);
    }
    await writeFile(join(root, 'tree', `a${a}`, 'top.md'), `top ${a}\n`);
  }
  await writeFile(join(root, 'big.txt'), 'x'.repeat(5_000));
  await writeFile(join(root, 'empty.txt'), '');
  await writeFile(join(root, 'twin.txt'), 'twin\n');
  await link(join(root, 'twin.txt'), join(root, 'twin-link.txt'));
  await symlink(join(base, 'outside', 'secret.txt'), join(root, 'link-out'));
  await symlink(join(base, 'outside', 'dir'), join(root, 'link-out-dir'));
  await symlink('tree', join(root, 'link-in-dir'));
  sandbox = await Sandbox.create({ roots: [root], refuseHardLinks: true, scanThreads: 2 });
});
after(async () => {
  sandbox.close();
  await rm(base, { recursive: true, force: true });
});

const OPTIONS: ScanOptions = { maxDepth: 64, maxEntries: 100_000, read: true, maxFileBytes: 4_096 };

async function collect(box: Sandbox, path: string, options: Partial<ScanOptions> = {}) {
  const files: { display: string; text?: string; seen: number }[] = [];
  const scan = box.scanFiles(path, { ...OPTIONS, ...options });
  let step = await scan.next();
  for (; !step.done; step = await scan.next()) files.push({ display: step.value.display, text: step.value.bytes?.toString('utf8'), seen: step.value.seen });
  return { files, summary: step.value as ScanSummary };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'succeeded';
  } catch (error) {
    assert.ok(error instanceof McpdError, String(error));
    return `${error.code}: ${error.message}`;
  }
}

/** Descriptors of this process open on something in the test's tree (threads share the table). */
async function openInside(): Promise<string[]> {
  const inside: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      const target = await readlink(`/proc/self/fd/${fd}`);
      if (target === base || target.startsWith(`${base}/`)) inside.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return inside;
}

/** The scan's descriptors are all closed, soon (the thread closes its own, then the directory is closed). */
async function settles(): Promise<void> {
  for (let i = 0; i < 250 && (await openInside()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(await openInside(), []);
}

describe('Sandbox.scanFiles', () => {
  test("the walk's regular files, in its order, with their bytes, under the same caps", async () => {
    for (const caps of [{ maxDepth: 64, maxEntries: 100_000 }, { maxDepth: 2, maxEntries: 100_000 }, { maxDepth: 64, maxEntries: 250 }]) {
      const walked = [];
      const walk = sandbox.walk('.', caps);
      let step = await walk.next();
      for (; !step.done; step = await walk.next()) if (step.value.type === 'file') walked.push(step.value.display);
      const scanned = await collect(sandbox, '.', { ...caps, read: false });
      assert.deepEqual(scanned.files.map((file) => file.display), walked, JSON.stringify(caps));
      assert.deepEqual({ ...scanned.summary, filesSeen: undefined }, { ...step.value, filesSeen: undefined }, JSON.stringify(caps));
      assert.equal(scanned.summary.filesSeen, walked.length);
    }
    const read = await collect(sandbox, 'tree');
    assert.equal(read.files.length, 606);
    for (const file of read.files) assert.equal(file.text, await readFile(join(root, file.display), 'utf8'), file.display);
  });

  test('symlinks are not followed, and hard-linked, over-cap files are skipped; empty ones are read', async () => {
    const { files, summary } = await collect(sandbox, '.', { maxDepth: 1 });
    assert.deepEqual(files.map((file) => [file.display, file.text]), [['empty.txt', '']]);
    assert.equal(summary.filesSeen, 4);
    const lenient = await Sandbox.create({ roots: [root], refuseHardLinks: false });
    try {
      const all = await collect(lenient, '.', { maxDepth: 1, maxFileBytes: 10_000 });
      assert.deepEqual(all.files.map((file) => file.display), ['big.txt', 'empty.txt', 'twin-link.txt', 'twin.txt']);
    } finally {
      lenient.close();
    }
  });

  test('a glob selects by the path below the scanned directory; seen counts every file met', async () => {
    const { files, summary } = await collect(sandbox, 'tree', { glob: { pattern: '*/TOP.md', caseSensitive: false } });
    assert.deepEqual(files.map((file) => file.display), ['tree/a0/top.md', 'tree/a1/top.md', 'tree/a2/top.md', 'tree/a3/top.md', 'tree/a4/top.md', 'tree/a5/top.md']);
    assert.deepEqual(files.map((file) => file.seen), [101, 202, 303, 404, 505, 606]);
    assert.equal(summary.filesSeen, 606);
    assert.equal((await collect(sandbox, 'tree', { glob: { pattern: '*/TOP.md', caseSensitive: true } })).files.length, 0);
  });

  test('the start directory is verified like any path: outside through a symlink, a file, missing', async () => {
    assert.match(await failure(collect(sandbox, 'link-out-dir')), /^PERMISSION_DENIED: link-out-dir is a symbolic link whose target is missing or outside/);
    assert.match(await failure(collect(sandbox, '../outside')), /^PERMISSION_DENIED: .* is outside the allowed roots$/);
    assert.match(await failure(collect(sandbox, 'big.txt')), /^VALIDATION_ERROR: big.txt is not a directory$/);
    assert.match(await failure(collect(sandbox, 'nope')), /^NOT_FOUND: nope does not exist$/);
    // A symlink to a directory inside is followed for the start, and files are shown by the real path.
    const viaLink = await collect(sandbox, 'link-in-dir', { maxDepth: 2, glob: { pattern: 'a[01]/*', caseSensitive: true } });
    assert.deepEqual(viaLink.files.map((file) => file.display), ['tree/a0/top.md', 'tree/a1/top.md']);
  });

  test('stopping early returns at once and closes everything once the thread stops', async () => {
    const scan = sandbox.scanFiles('tree', OPTIONS);
    assert.equal((await scan.next()).done, false);
    assert.notDeepEqual(await openInside(), [], 'the scanned directory is open meanwhile');
    await scan.return(undefined as never);
    await settles();
  });

  test('an aborted signal fails the next step with CANCELLED and closes everything', async () => {
    const controller = new AbortController();
    const scan = sandbox.scanFiles('tree', { ...OPTIONS, signal: controller.signal });
    await scan.next();
    controller.abort();
    assert.match(await failure(scan.next()), /^CANCELLED/);
    await settles();
    assert.match(await failure(collect(sandbox, 'tree', { signal: AbortSignal.abort() })), /^CANCELLED/);
  });

  test('more scans than threads wait their turn; waiting is cancellable', async () => {
    const single = await Sandbox.create({ roots: [root], refuseHardLinks: true, scanThreads: 1 });
    try {
      const first = single.scanFiles('tree', OPTIONS);
      await first.next();
      const controller = new AbortController();
      const waiting = collect(single, 'tree', { signal: controller.signal });
      const queued = collect(single, 'tree', { maxDepth: 2 });
      controller.abort();
      assert.match(await failure(waiting), /^CANCELLED/);
      await first.return(undefined as never);
      assert.equal((await queued).files.length, 6);
      const together = await Promise.all([collect(single, 'tree'), collect(single, 'tree'), collect(single, '.')]);
      assert.deepEqual(together.map((result) => result.files.length), [606, 606, 607]);
    } finally {
      single.close();
    }
  });

  test('a consumer that takes nothing for consumerIdleMs gets TIMEOUT, never a short scan passed off as complete', async () => {
    // Fourteen 200 KiB files: one a batch, more than the read-ahead, so the thread waits for the consumer.
    const big = join(root, 'big-files');
    await mkdir(big);
    try {
      for (let i = 0; i < 14; i++) await writeFile(join(big, `f${String(i).padStart(2, '0')}.txt`), 'y'.repeat(200 * 1024));
      const scan = sandbox.scanFiles('big-files', { ...OPTIONS, maxFileBytes: 300 * 1024, consumerIdleMs: 200 });
      assert.equal((await scan.next()).done, false);
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.match(await failure((async () => { for (let step = await scan.next(); !step.done; step = await scan.next()); })()), /^TIMEOUT/);
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });
});
