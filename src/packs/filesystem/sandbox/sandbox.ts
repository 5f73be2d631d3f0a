/**
 * The filesystem sandbox: every path an agent names is located lexically
 * inside a root (locate.ts), then opened and verified through its descriptor
 * (verified-open.ts); intent-specific operations (read, stat, list, walk,
 * write, mkdir, move, remove) never act on anything that was not verified.
 * Read-only mode and the write/move/delete switches are the tools' business.
 */
import type { FileHandle } from 'node:fs/promises';
import { readlink } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { entryInfo, linkTargetDisplay, readEntries, describeEntries } from './entries.js';
import { fsFailure } from './fs-errors.js';
import { locateLexically, type Lexical } from './locate.js';
import { makeDirectory } from './mkdir.js';
import { moveEntry } from './move.js';
import { fdPath, O_NOCTTY, O_NONBLOCK, O_RDONLY, probeProcFd } from './proc-fd.js';
import { removeEntry } from './remove.js';
import { narrowRoots, resolveRoots, type Root } from './roots.js';
import { ScanPool } from './scan-pool.js';
import { scanFiles } from './scan.js';
import { RootScope } from './scope.js';
import type { EntryInfo, Located, RootInfo, SandboxOptions, ScannedFile, ScanOptions, ScanSummary, StatResult, WalkEntry, WalkOptions, WalkSummary } from './types.js';
import { closeQuietly, hardLinkRefused, openDirectory, openNode, reopen, verifyHandle } from './verified-open.js';
import { walkTree } from './walk.js';
import { writeAtomic } from './write.js';

function publicLocated(lexical: Lexical | Located): Located {
  return { root: lexical.root, absolute: lexical.absolute, display: lexical.display };
}

function nameOf(located: Located, scope: RootScope): string {
  if (located.absolute === located.root) return scope.roots.find((root) => root.path === located.root)?.name ?? located.display;
  return located.absolute.slice(located.absolute.lastIndexOf('/') + 1);
}

export class Sandbox {
  private readonly scope: RootScope;

  private constructor(
    roots: readonly Root[],
    private readonly refuseHardLinks: boolean,
    private readonly scanPool: ScanPool,
  ) {
    this.scope = new RootScope(roots);
  }

  /**
   * Resolves the configured roots (realpath, then the kernel's spelling of the
   * opened directory). Refuses to start (VALIDATION_ERROR) on a missing root,
   * a root that is not a directory, or overlapping roots; refuses
   * (UNAVAILABLE) where /proc/self/fd cannot verify opened files. An empty
   * list gives a sandbox that refuses every access.
   */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    await probeProcFd();
    return new Sandbox(await resolveRoots(options.roots), options.refuseHardLinks, new ScanPool(options.scanThreads ?? 2));
  }

  /**
   * The client's roots (file:// URIs) within this sandbox's roots: each kept
   * when it is one of them or below one; anything else (`file:///`, a parent
   * of a root, another place, another scheme) is ignored. Never wider; no
   * match leaves a sandbox without roots (every access refused).
   */
  narrow(clientRootUris: string[]): Sandbox {
    return new Sandbox(narrowRoots(this.scope.roots, clientRootUris), this.refuseHardLinks, this.scanPool);
  }

  get roots(): readonly RootInfo[] {
    return this.scope.info;
  }

  /** Lexical location (no filesystem access); throws VALIDATION_ERROR or PERMISSION_DENIED. `absolute` is not yet resolved. */
  locate(input: string): Located {
    return publicLocated(locateLexically(this.scope, input));
  }

  /**
   * A regular file opened for reading (the caller closes the handle). A final
   * symlink is followed only into the roots; directories, FIFOs, sockets and
   * devices are refused; hard-linked files too when refuseHardLinks is on.
   */
  async openRead(input: string): Promise<{ handle: FileHandle; located: Located; size: number; modified: Date }> {
    const node = await openNode(this.scope, locateLexically(this.scope, input), true);
    const subject = node.located.display;
    try {
      if (node.stats.isDirectory()) throw new McpdError('VALIDATION_ERROR', `${subject} is a directory, not a file`);
      if (!node.stats.isFile()) throw new McpdError('PERMISSION_DENIED', `${subject} is not a regular file (FIFOs, sockets and devices are not read)`);
      if (this.refuseHardLinks && node.stats.nlink > 1) throw hardLinkRefused(subject, node.stats.nlink);
      const handle = await reopen(node, O_RDONLY | O_NONBLOCK | O_NOCTTY);
      try {
        const stats = await handle.stat();
        if (this.refuseHardLinks && stats.nlink > 1) throw hardLinkRefused(subject, stats.nlink);
        const { located } = await verifyHandle(this.scope, handle, subject, stats);
        return { handle, located, size: stats.size, modified: stats.mtime };
      } catch (error) {
        await closeQuietly(handle);
        throw error;
      }
    } catch (error) {
      throw fsFailure(error, subject);
    } finally {
      await closeQuietly(node.handle);
    }
  }

  /** lstat semantics: a final symlink is described, not followed (its target shown only when inside the roots). */
  async stat(input: string): Promise<StatResult> {
    const node = await openNode(this.scope, locateLexically(this.scope, input), false);
    try {
      const { stats, located } = node;
      const target = stats.isSymbolicLink() ? await linkTargetDisplay(this.scope, located.absolute) : undefined;
      const result: StatResult = {
        ...located,
        info: entryInfo(nameOf(located, this.scope), located.display, stats, target),
        permissions: (stats.mode & 0o7777).toString(8).padStart(3, '0'),
        links: stats.nlink,
      };
      if (stats.birthtimeMs > 0) result.created = stats.birthtime.toISOString();
      return result;
    } finally {
      await closeQuietly(node.handle);
    }
  }

  /** The entries of a directory (sorted by name; the first `limit` of them), listed through its verified descriptor. */
  async readDir(input: string, options: { limit?: number } = {}): Promise<{ located: Located; entries: EntryInfo[] }> {
    const directory = await openDirectory(this.scope, locateLexically(this.scope, input));
    try {
      const raw = await readEntries(directory.handle.fd, options.limit);
      const entries = await describeEntries(this.scope, directory.handle.fd, directory.located.display, raw);
      return { located: directory.located, entries };
    } catch (error) {
      throw fsFailure(error, directory.located.display);
    } finally {
      await closeQuietly(directory.handle);
    }
  }

  /** Depth-first entries below a directory; symlinks reported, never followed. Returns a WalkSummary when done. */
  async *walk(input: string, options: WalkOptions): AsyncGenerator<WalkEntry, WalkSummary> {
    const directory = await openDirectory(this.scope, locateLexically(this.scope, input));
    try {
      return yield* walkTree(this.scope, { handle: directory.handle, stats: directory.stats, display: directory.located.display }, options);
    } catch (error) {
      throw fsFailure(error, directory.located.display);
    } finally {
      await closeQuietly(directory.handle);
    }
  }

  /**
   * The regular files below a directory, depth-first in the walk's order, each
   * read (up to maxFileBytes) and verified inside a root on a scanner thread
   * (see scan.ts, scan-tree.ts); symlinks are never followed. Files that
   * vanish, change kind, are hard-linked under refuseHardLinks or grow past
   * the cap are skipped. Returns a ScanSummary when done; stopping early
   * (`return`, break) or the signal stops the thread.
   */
  async *scanFiles(input: string, options: ScanOptions): AsyncGenerator<ScannedFile, ScanSummary> {
    const lexical = locateLexically(this.scope, input);
    try {
      return yield* scanFiles(this.scope, this.scanPool, lexical, { ...options, refuseHardLinks: this.refuseHardLinks });
    } catch (error) {
      throw fsFailure(error, lexical.display);
    }
  }

  /** Ends the idle scanner threads (the busy ones when their scan ends), which `narrow`ed sandboxes share; for shutdown. */
  close(): void {
    this.scanPool.close();
  }

  /** Atomic replace-by-rename of a regular file (see write.ts); CONFLICT when it exists and overwrite is false. */
  async writeAtomic(input: string, data: string | Uint8Array, options: { overwrite: boolean; createParents: boolean }): Promise<{ located: Located; created: boolean; bytes: number }> {
    return writeAtomic(this.scope, this.refuseHardLinks, locateLexically(this.scope, input), data, options);
  }

  /** Creates a directory (`parents`: and missing ones above it); an existing directory is `created: false`. */
  async mkdir(input: string, options: { parents: boolean }): Promise<{ located: Located; created: boolean }> {
    return makeDirectory(this.scope, locateLexically(this.scope, input), options);
  }

  /** Moves or renames within the roots (see move.ts); CONFLICT when the destination exists and overwrite is false. */
  async move(from: string, to: string, options: { overwrite: boolean }): Promise<{ from: Located; to: Located }> {
    return moveEntry(this.scope, locateLexically(this.scope, from), locateLexically(this.scope, to), options);
  }

  /** Removes a file, a symlink (the link itself) or a directory (`recursive` for a non-empty one); `removed` counts entries. */
  async remove(input: string, options: { recursive: boolean }): Promise<{ located: Located; removed: number }> {
    return removeEntry(this.scope, locateLexically(this.scope, input), options);
  }

  /** The kernel's path of what `handle` refers to (`/proc/self/fd`). */
  async realPathOf(handle: FileHandle): Promise<string> {
    return readlink(fdPath(handle.fd));
  }
}
