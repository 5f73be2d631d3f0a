/**
 * The synchronous core of a file scan, run on a scanner thread (scan-worker.ts;
 * never on the main thread): a depth-first walk below a verified directory, in
 * walk.ts's order and with its caps, reading regular files through the open
 * directory's descriptor and handing them over in batches.
 *
 * The containment evidence is walk.ts's and verified-open.ts's, gathered with
 * fewer calls. Subdirectories: opened through the parent's verified descriptor
 * (`/proc/self/fd/<dirfd>/<name>`) with O_DIRECTORY|O_NOFOLLOW, fstat (visited
 * before? — bind mounts cannot loop the walk), readlink of the descriptor
 * inside a root, else not entered. Files, five calls each: open through the
 * verified directory's descriptor with O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY,
 * fstat (a regular file? one link under refuseHardLinks? within the cap?),
 * readlink of the descriptor inside a root (the directory may have been moved
 * out since it was verified), read, close. Nothing is read before all three
 * hold, and what was checked is what is read: the same descriptor.
 *
 * Why O_RDONLY directly, not O_PATH first and a re-open (verified-open.ts's
 * rule for paths agents name): the entry was listed as a regular file by a
 * directory that was itself verified, and the open cannot follow a symlink
 * swapped in meanwhile (O_NOFOLLOW: ELOOP, skipped). What else could be
 * swapped in between the listing and the open is harmless to open this way: a
 * FIFO does not block (O_NONBLOCK), a terminal does not become the process's
 * controlling terminal (O_NOCTTY), a directory or socket opens without effect
 * or fails; the fstat type check refuses all of them before any read. A
 * device node — the one kind whose open can act (a tape rewinding) — cannot
 * be made without CAP_MKNOD, and an existing one can only be renamed or
 * linked in from the same filesystem, by someone who may write where it is.
 * O_PATH first would cost two more calls a file (the open through
 * /proc/self/fd and a second close): about a quarter more time per file,
 * measured (docs/benchmarks.md, "Filesystem tools").
 *
 * Files that vanish, turn into something else, grow past the cap or fail to
 * read are skipped; only running out of descriptors or memory ends the scan
 * (a search that skipped files for that would report partial results as
 * complete).
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, type Dirent, type Stats } from 'node:fs';
import { isWithinBytes } from './containment.js';
import { atPathBytes } from './entries.js';
import { errnoOf } from './fs-errors.js';
import { globMatcher } from './glob.js';
import { fdPath, kernelPathOfSync, O_DIRECTORY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } from './proc-fd.js';
import { SCAN_OUTSIDE_ROOTS, type ScanBatch, type ScanEnd, type ScanJob, type ScanRecord } from './scan-protocol.js';
import { childDisplay } from './scope.js';

const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
const FATAL = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);
const UNREADABLE = new Set(['EACCES', 'EPERM', 'ENOENT']);
const GROWTH_CHUNK = 64 * 1024;

export interface ScanSink {
  /** True once the consumer wants the scan stopped. */
  stopped(): boolean;
  /** Hands a batch over (may block: the read-ahead bound). */
  emit(batch: ScanBatch): void;
}

const inode = (stats: Stats) => `${stats.dev}:${stats.ino}`;

function closeQuietlySync(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // nothing more to do with it
  }
}

/** `name` opened inside the directory `dirFd`; undefined when it is gone, a symlink now, or refused. */
function openAt(dirFd: number, name: Buffer, flags: number): number | undefined {
  try {
    return openSync(atPathBytes(dirFd, name), flags);
  } catch (error) {
    if (FATAL.has(errnoOf(error) ?? '')) throw error;
    return undefined;
  }
}

/**
 * The directory's entries with their types. Where the filesystem does not report types (XFS without ftype,
 * some NFS, CIFS and FUSE mounts) Node lstat's each entry and fails the whole listing on one that vanished
 * meanwhile: then the names are listed alone and typed one by one, skipping the vanished.
 */
function listEntries(dirFd: number): Dirent<Buffer>[] {
  try {
    return readdirSync(fdPath(dirFd), { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
  const entries: Dirent<Buffer>[] = [];
  for (const name of readdirSync(fdPath(dirFd), { encoding: 'buffer' })) {
    let stats: Stats;
    try {
      stats = lstatSync(atPathBytes(dirFd, name));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      throw error;
    }
    entries.push(typedEntry(name, stats));
  }
  return entries;
}

/** A Dirent-shaped entry from an lstat (only what the walk asks of it). */
function typedEntry(name: Buffer, stats: Stats): Dirent<Buffer> {
  return { name, isFile: () => stats.isFile(), isDirectory: () => stats.isDirectory() } as Dirent<Buffer>;
}

/** The open descriptor's kernel path is inside a root (false when it cannot be told). */
function insideRoots(fd: number, stats: Stats, roots: readonly Uint8Array[]): boolean {
  let real: Buffer | undefined;
  try {
    real = kernelPathOfSync(fd, stats);
  } catch (error) {
    if (FATAL.has(errnoOf(error) ?? '')) throw error;
    return false;
  }
  return real !== undefined && roots.some((root) => isWithinBytes(real, root));
}

/**
 * Files collected into one transferable buffer, sent when full, at a count, or
 * when old. Sending can block (read-ahead), so it never happens while a file
 * is open: a batch that a file's room no longer fits in is sealed, and sent
 * by the next `add`, `tick` or `flush`.
 */
class Batcher {
  private files: ScanRecord[] = [];
  private buffer: Uint8Array | null = null;
  private used = 0;
  private since = 0;
  private readonly sealed: ScanBatch[] = [];

  constructor(
    private readonly sink: ScanSink,
    private readonly limits: ScanJob['batch'],
  ) {}

  /** Where the next file's bytes go (at most `bytes`); claimed only by `add`. */
  room(bytes: number): Uint8Array {
    if (this.buffer && this.used + bytes > this.buffer.length) {
      if (this.used > 0) this.seal();
      else this.buffer = null;
    }
    this.buffer ??= new Uint8Array(Math.max(this.limits.bytes, bytes));
    return this.buffer.subarray(this.used, this.used + bytes);
  }

  /** A file whose `length` bytes are at the start of the last room (-1: listed, not read). */
  add(display: string, depth: number, seen: number, length: number): void {
    this.sendSealed();
    if (this.files.length === 0) this.since = performance.now();
    this.files.push({ display, depth, seen, offset: length < 0 ? 0 : this.used, length });
    if (length > 0) this.used += length;
    if (this.files.length >= this.limits.files || this.used >= this.limits.bytes) this.flush();
    else this.tick();
  }

  /** Sends what waits once it is old: on a slow filesystem the consumer still sees files early. */
  tick(): void {
    this.sendSealed();
    if (this.files.length > 0 && performance.now() - this.since >= this.limits.ms) this.flush();
  }

  flush(): void {
    this.sendSealed();
    if (this.files.length === 0) return;
    this.seal();
    this.sendSealed();
  }

  private seal(): void {
    this.sealed.push({ files: this.files, buffer: this.used > 0 ? (this.buffer!.buffer as ArrayBuffer) : null });
    this.files = [];
    if (this.used > 0) {
      this.buffer = null;
      this.used = 0;
    }
  }

  private sendSealed(): void {
    for (let batch = this.sealed.shift(); batch; batch = this.sealed.shift()) this.sink.emit(batch);
  }
}

/**
 * Reads the open file into `room(n)` (a place for n bytes; the last one asked
 * for holds the file): its length, or undefined when it is (or has grown)
 * larger than `cap`. One byte more than the fstat size is asked for, so that
 * growth shows; the cap is enforced on bytes read, never on the stat.
 */
export function readCapped(fd: number, size: number, cap: number, room: (bytes: number) => Uint8Array): number | undefined {
  const want = Math.min(size, cap) + 1;
  const first = room(want);
  let total = 0;
  while (total < want) {
    const read = readSync(fd, first, total, want - total, total);
    if (read === 0) return total;
    total += read;
  }
  if (total > cap) return undefined;
  // Grown since the fstat but maybe still under the cap: the rest, then all of it into a room that fits.
  const chunks = [Buffer.from(first.subarray(0, total))];
  const chunk = Buffer.allocUnsafe(GROWTH_CHUNK);
  for (;;) {
    const read = readSync(fd, chunk, 0, Math.min(chunk.length, cap + 1 - total), total);
    if (read === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, read)));
    total += read;
    if (total > cap) return undefined;
  }
  room(total).set(Buffer.concat(chunks, total));
  return total;
}

export function scanTree(job: ScanJob, sink: ScanSink): ScanEnd {
  const end: ScanEnd = { entriesCapped: false, depthCapped: false, filesSeen: 0 };
  if (job.maxDepth < 1) {
    end.depthCapped = true;
    return end;
  }
  const include = job.glob ? globMatcher(job.glob) : undefined;
  const batcher = new Batcher(sink, job.batch);
  const start = fstatSync(job.dirFd);
  // Verified on the main thread, but perhaps long ago (a scan waits for a free thread): moved out of the roots
  // since, it must not be listed; removed since, it is not found (as verified-open.ts says of a removed file).
  if (start.nlink === 0) throw Object.assign(new Error('the searched directory was removed'), { code: 'ENOENT' });
  if (!insideRoots(job.dirFd, start, job.roots)) throw Object.assign(new Error('the searched directory is no longer inside the roots'), { code: SCAN_OUTSIDE_ROOTS });
  const visited = new Set([inode(start)]);
  let count = 0;

  /** The file's length, its bytes in the batcher's last room; undefined when it is skipped. */
  function readFile(dirFd: number, name: Buffer): number | undefined {
    const fd = openAt(dirFd, name, FILE_FLAGS);
    if (fd === undefined) return undefined;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile() || (job.refuseHardLinks && stats.nlink > 1) || stats.size > job.maxFileBytes) return undefined;
      if (!insideRoots(fd, stats, job.roots)) return undefined;
      return readCapped(fd, stats.size, job.maxFileBytes, (bytes) => batcher.room(bytes));
    } catch (error) {
      if (FATAL.has(errnoOf(error) ?? '')) throw error;
      return undefined;
    } finally {
      closeQuietlySync(fd);
    }
  }

  /** Returns true when the scan must stop (a cap, or the consumer). */
  function visit(dirFd: number, display: string, relative: string, depth: number): boolean {
    let entries: Dirent<Buffer>[];
    try {
      entries = listEntries(dirFd);
    } catch (error) {
      // A subdirectory the process may not read (or one removed meanwhile) is skipped, not fatal.
      if (depth > 1 && UNREADABLE.has(errnoOf(error) ?? '')) return false;
      throw error;
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      if (sink.stopped()) return true;
      if (count >= job.maxEntries) {
        end.entriesCapped = true;
        return true;
      }
      count++;
      batcher.tick();
      const name = entry.name.toString('utf8');
      const path = relative === '' ? name : `${relative}/${name}`;
      if (entry.isFile()) {
        end.filesSeen++;
        if (include && !include(path)) continue;
        const length = job.read ? readFile(dirFd, entry.name) : -1;
        if (length !== undefined) batcher.add(childDisplay(display, name), depth, end.filesSeen, length);
        continue;
      }
      if (!entry.isDirectory()) continue;
      if (depth >= job.maxDepth) {
        end.depthCapped = true;
        continue;
      }
      const child = openAt(dirFd, entry.name, DIRECTORY_FLAGS);
      if (child === undefined) continue; // replaced by a symlink or a file, or removed, since it was listed
      try {
        const stats = fstatSync(child);
        if (visited.has(inode(stats))) continue;
        visited.add(inode(stats));
        if (!insideRoots(child, stats, job.roots)) continue; // moved out of the roots since it was listed
        if (visit(child, childDisplay(display, name), path, depth + 1)) return true;
      } finally {
        closeQuietlySync(child);
      }
    }
    return false;
  }

  visit(job.dirFd, job.display, '', 1);
  if (!sink.stopped()) batcher.flush();
  return end;
}
