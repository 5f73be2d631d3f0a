/**
 * The scanner's core, run synchronously here (not on a thread) so that the
 * tree can be changed at exact points: after a file is handed over, the next
 * ones of the same listing are still to be opened. Real directories; the
 * outside one carries a marker that must never be read.
 */
import { test, beforeEach, afterEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O_DIRECTORY, O_RDONLY } from './proc-fd.js';
import { SCAN_OUTSIDE_ROOTS, type ScanJob } from './scan-protocol.js';
import { readCapped, scanTree } from './scan-tree.js';

const MARKER = 'OUTSIDE-MARKER-7c1e';
let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-scan-tree-')));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), `${MARKER}\n`);
  writeFileSync(join(outside, 'dir', 'b.txt'), `${MARKER}\n`);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function put(relative: string, text = `${relative}\n`): void {
  mkdirSync(join(root, relative, '..'), { recursive: true });
  writeFileSync(join(root, relative), text);
}

interface Scanned {
  files: { display: string; text?: string; seen: number }[];
  end: ReturnType<typeof scanTree>;
}

/** Scans the root; `after(display)` runs once each file has been handed over (one file a batch). */
function scan(options: Partial<ScanJob> = {}, after?: (display: string) => void, stopAfter = Infinity): Scanned {
  const dirFd = openSync(root, O_RDONLY | O_DIRECTORY);
  const files: Scanned['files'] = [];
  try {
    const job: ScanJob = {
      dirFd,
      display: '.',
      roots: [Buffer.from(root)],
      maxDepth: 10,
      maxEntries: 1_000,
      read: true,
      maxFileBytes: 1_024,
      refuseHardLinks: true,
      batch: { files: 1, bytes: 64 * 1024, ms: 60_000 },
      consumerIdleMs: 60_000,
      ...options,
    };
    const end = scanTree(job, {
      stopped: () => files.length >= stopAfter,
      emit(batch) {
        for (const file of batch.files) {
          const text = file.length < 0 ? undefined : batch.buffer ? Buffer.from(batch.buffer, file.offset, file.length).toString('utf8') : '';
          files.push({ display: file.display, text, seen: file.seen });
          after?.(file.display);
        }
      },
    });
    for (const file of files) assert.ok(!file.text?.includes(MARKER), `outside content read as ${file.display}`);
    return { files, end };
  } finally {
    closeSync(dirFd);
  }
}

const displays = (scanned: Scanned) => scanned.files.map((file) => file.display);

/** a.txt and b.txt; once a.txt is handed over, b.txt (listed, not yet opened) is replaced by what `make` puts at its path. */
function scanSecondReplaced(make: (path: string) => void): string[] {
  put('a.txt');
  put('b.txt');
  const scanned = scan({}, (display) => {
    if (display !== 'a.txt') return;
    unlinkSync(join(root, 'b.txt'));
    make(join(root, 'b.txt'));
  });
  return displays(scanned);
}

describe('scanTree', () => {
  test('reads regular files depth-first in name order; symlinks, FIFOs and directories are not read as files', () => {
    put('b.txt');
    put('a/y.txt');
    put('a/x.txt');
    put('c/d/e.txt', 'e\n');
    put('c/empty.txt', '');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out'));
    symlinkSync('b.txt', join(root, 'link-in'));
    symlinkSync(join(outside, 'dir'), join(root, 'link-dir'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const scanned = scan();
    assert.deepEqual(displays(scanned), ['a/x.txt', 'a/y.txt', 'b.txt', 'c/d/e.txt', 'c/empty.txt']);
    assert.deepEqual(scanned.files.slice(3).map((file) => file.text), ['e\n', '']);
    assert.deepEqual(scanned.end, { entriesCapped: false, depthCapped: false, filesSeen: 5 });
  });

  test('batches by bytes: files that do not fit start the next batch, one larger than a batch gets its own, none is torn', () => {
    const sizes = [300, 900, 50, 2_000, 0, 700, 999, 1_000, 1];
    sizes.forEach((size, i) => put(`f${i}.txt`, String.fromCharCode(97 + i).repeat(size)));
    const batches: number[][] = [];
    const dirFd = openSync(root, O_RDONLY | O_DIRECTORY);
    try {
      const texts: string[] = [];
      const job: ScanJob = {
        dirFd, display: '.', roots: [Buffer.from(root)], maxDepth: 1, maxEntries: 100, read: true, maxFileBytes: 4_096, refuseHardLinks: true,
        batch: { files: 100, bytes: 1_000, ms: 60_000 },
        consumerIdleMs: 60_000,
      };
      scanTree(job, {
        stopped: () => false,
        emit(batch) {
          batches.push(batch.files.map((file) => file.length));
          for (const file of batch.files) texts.push(batch.buffer ? Buffer.from(batch.buffer, file.offset, file.length).toString() : '');
        },
      });
      assert.deepEqual(texts, sizes.map((size, i) => String.fromCharCode(97 + i).repeat(size)));
    } finally {
      closeSync(dirFd);
    }
    assert.deepEqual(batches, [[300], [900, 50], [2_000], [0, 700], [999], [1_000], [1]]);
  });

  test('a file swapped for a symlink after the listing is not followed', () => {
    assert.deepEqual(
      scanSecondReplaced((path) => symlinkSync(join(outside, 'secret.txt'), path)),
      ['a.txt'],
    );
  });

  test('a file swapped for a FIFO after the listing is skipped without blocking', () => {
    assert.deepEqual(
      scanSecondReplaced((path) => execFileSync('mkfifo', [path])),
      ['a.txt'],
    );
  });

  test('a file swapped for a device node after the listing is not read', (t) => {
    let made = true;
    const scanned = scanSecondReplaced((path) => {
      try {
        execFileSync('mknod', [path, 'c', '1', '3'], { stdio: 'ignore' }); // /dev/null: reads as an empty file
      } catch {
        made = false;
      }
    });
    if (!made) return t.skip('mknod needs CAP_MKNOD');
    assert.deepEqual(scanned, ['a.txt']);
  });

  test('a directory moved out of the root mid-walk: nothing more is read or entered in it, the walk goes on', () => {
    put('d/a.txt');
    put('d/b.txt');
    put('d/sub/c.txt');
    put('z.txt');
    const scanned = scan({}, (display) => {
      if (display === 'd/a.txt') renameSync(join(root, 'd'), join(outside, 'moved'));
    });
    assert.deepEqual(displays(scanned), ['d/a.txt', 'z.txt']);
  });

  test('the scanned directory moved out of the roots before the scan starts (a queued scan) is not listed', () => {
    put('sub/inside.txt');
    const dirFd = openSync(join(root, 'sub'), O_RDONLY | O_DIRECTORY);
    try {
      // Verified by the main thread while inside; moved out while the scan waited for a thread.
      renameSync(join(root, 'sub'), join(outside, 'sub'));
      writeFileSync(join(outside, 'sub', 'PRIVATE-name.txt'), MARKER);
      const emitted: string[] = [];
      const job: ScanJob = {
        dirFd, display: 'sub', roots: [Buffer.from(root)], maxDepth: 10, maxEntries: 100, read: false, maxFileBytes: 1_024, refuseHardLinks: true,
        batch: { files: 1, bytes: 1_024, ms: 60_000 }, consumerIdleMs: 60_000,
      };
      assert.throws(
        () => scanTree(job, { stopped: () => false, emit: (batch) => emitted.push(...batch.files.map((file) => file.display)) }),
        (error: unknown) => (error as { code?: string }).code === SCAN_OUTSIDE_ROOTS,
      );
      assert.deepEqual(emitted, []);
    } finally {
      closeSync(dirFd);
    }
  });

  test('the scanned directory removed before the scan starts is not found (ENOENT), not refused', () => {
    mkdirSync(join(root, 'gone'));
    const dirFd = openSync(join(root, 'gone'), O_RDONLY | O_DIRECTORY);
    try {
      rmSync(join(root, 'gone'), { recursive: true });
      const job: ScanJob = {
        dirFd, display: 'gone', roots: [Buffer.from(root)], maxDepth: 10, maxEntries: 100, read: true, maxFileBytes: 1_024, refuseHardLinks: true,
        batch: { files: 1, bytes: 1_024, ms: 60_000 }, consumerIdleMs: 60_000,
      };
      assert.throws(() => scanTree(job, { stopped: () => false, emit: () => assert.fail('nothing to emit') }), (error: unknown) => (error as { code?: string }).code === 'ENOENT');
    } finally {
      closeSync(dirFd);
    }
  });

  test('a directory swapped for a symlink outside after the listing is not entered', () => {
    put('a.txt');
    put('d/b.txt');
    const scanned = scan({}, (display) => {
      if (display !== 'a.txt') return;
      renameSync(join(root, 'd'), join(base, 'stash'));
      symlinkSync(join(outside, 'dir'), join(root, 'd'));
    });
    assert.deepEqual(displays(scanned), ['a.txt']);
  });

  test('hard-linked files are skipped under refuseHardLinks (another link may be outside), read otherwise', () => {
    put('a.txt');
    put('twin-1.txt');
    linkSync(join(root, 'twin-1.txt'), join(root, 'twin-2.txt'));
    linkSync(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
    assert.deepEqual(displays(scan()), ['a.txt']);
    unlinkSync(join(root, 'secret-link.txt'));
    assert.deepEqual(displays(scan({ refuseHardLinks: false })), ['a.txt', 'twin-1.txt', 'twin-2.txt']);
  });

  test('files over the cap are skipped, also one grown past it after the listing; one at the cap is read', () => {
    put('a.txt');
    put('b.txt', 'small\n');
    put('c.txt', 'x'.repeat(1_024));
    put('d.txt', 'x'.repeat(1_025));
    const scanned = scan({}, (display) => {
      if (display === 'a.txt') appendFileSync(join(root, 'b.txt'), 'y'.repeat(2_000));
    });
    assert.deepEqual(displays(scanned), ['a.txt', 'c.txt']);
    assert.equal(scanned.files[1].text?.length, 1_024);
  });

  test('vanished files and directories are skipped, not fatal', () => {
    put('a.txt');
    put('b.txt');
    put('c/d.txt');
    put('e.txt');
    const scanned = scan({}, (display) => {
      if (display !== 'a.txt') return;
      unlinkSync(join(root, 'b.txt'));
      rmSync(join(root, 'c'), { recursive: true });
    });
    assert.deepEqual(displays(scanned), ['a.txt', 'e.txt']);
  });

  test('a file really named "… (deleted)" is read (the kernel marks unlinked files so)', () => {
    put('x (deleted)', 'kept\n');
    assert.deepEqual(scan().files.map((file) => file.text), ['kept\n']);
  });

  test('stops when the consumer says so, and closes every descriptor it opened', () => {
    for (let i = 0; i < 5; i++) put(`d${i}/f.txt`);
    const before = readdirSync('/proc/self/fd').length;
    const scanned = scan({}, undefined, 2);
    assert.deepEqual(displays(scanned), ['d0/f.txt', 'd1/f.txt']);
    assert.equal(readdirSync('/proc/self/fd').length, before);
  });

  test('caps: entries counted like the walk, directories at maxDepth not entered', () => {
    put('a/b/c.txt');
    put('a/z.txt');
    put('y.txt');
    assert.deepEqual(displays(scan({ maxDepth: 2 })), ['a/z.txt', 'y.txt']);
    assert.equal(scan({ maxDepth: 2 }).end.depthCapped, true);
    const capped = scan({ maxEntries: 3 });
    assert.deepEqual(displays(capped), ['a/b/c.txt']);
    assert.equal(capped.end.entriesCapped, true);
  });

  test('a glob selects by the path relative to the scanned directory; seen counts every regular file', () => {
    put('src/a.ts');
    put('src/b.md');
    put('.hidden.ts');
    const scanned = scan({ read: false, glob: { pattern: '**/*.TS', caseSensitive: false } });
    assert.deepEqual(scanned.files, [
      { display: '.hidden.ts', text: undefined, seen: 1 },
      { display: 'src/a.ts', text: undefined, seen: 2 },
    ]);
    assert.equal(scanned.end.filesSeen, 3);
  });
});

describe('readCapped', () => {
  test('a file longer than its stat said is read whole under the cap, refused over it; a shrunk one as it is', () => {
    put('grown.txt', 'g'.repeat(100_000));
    const fd = openSync(join(root, 'grown.txt'), O_RDONLY);
    try {
      const room = (bytes: number) => new Uint8Array(bytes);
      let last: Uint8Array | undefined;
      const keep = (bytes: number) => (last = room(bytes));
      assert.equal(readCapped(fd, 10, 200_000, keep), 100_000);
      assert.equal(Buffer.from(last!).toString(), 'g'.repeat(100_000));
      assert.equal(readCapped(fd, 10, 99_999, keep), undefined);
      assert.equal(readCapped(fd, 100_000, 100_000, keep), 100_000);
      assert.equal(readCapped(fd, 500_000, 1_000_000, keep), 100_000);
    } finally {
      closeSync(fd);
    }
  });
});
