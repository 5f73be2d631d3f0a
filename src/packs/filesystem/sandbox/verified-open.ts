/**
 * Opening with verification: every descriptor the sandbox uses is checked
 * through `/proc/self/fd` to be inside a root before anything is read from,
 * listed in, written to or created in it. There is no check-then-use gap: the
 * check is made on what is open, and what is open is what gets used.
 *
 * The symlink rule:
 * - The final component is opened with O_NOFOLLOW. If it is a symlink, a read
 *   or listing follows it only when what it resolves to is inside a root (the
 *   target is opened and its descriptor verified); writes, creation, moves and
 *   deletes never follow it (they refuse it or act on the link itself).
 * - Earlier components may be symlinks, resolved by the kernel, as long as
 *   the opened descriptor's real path is inside a root (a link from one root
 *   into another is fine; `root/link-to-etc/passwd` is refused).
 * - A file's first open is O_PATH (locates without opening: no device open
 *   side effects, no blocking FIFO, no access); it is verified, its type
 *   checked, and only then re-opened through `/proc/self/fd/<fd>` (the very
 *   same inode) for reading.
 * - Parent directories for creation are walked component by component from
 *   the root, each one opened through its verified parent's descriptor
 *   (`/proc/self/fd/<dirfd>/<name>`) and verified; the final name is created,
 *   renamed or removed inside the verified directory descriptor.
 */
import type { Stats } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { errnoOf, fsFailure } from './fs-errors.js';
import type { Lexical } from './locate.js';
import { atPath, fdPath, kernelPathOf, LOCATE_FLAGS, O_DIRECTORY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } from './proc-fd.js';
import type { Root } from './roots.js';
import type { RootScope } from './scope.js';
import type { Located } from './types.js';

export interface Verified {
  root: Root;
  /** The kernel's path of the open file. */
  real: Buffer;
  located: Located;
}

export interface OpenNode extends Verified {
  handle: FileHandle;
  stats: Stats;
}

export function outsideRoots(subject: string): McpdError {
  return new McpdError('PERMISSION_DENIED', `${subject} resolves outside the allowed roots (through a symbolic link or a moved directory)`);
}

function linkRefused(subject: string): McpdError {
  return new McpdError('PERMISSION_DENIED', `${subject} is a symbolic link whose target is missing or outside the allowed roots`);
}

/** Verifies that `handle` refers to something inside a root; throws PERMISSION_DENIED (outside) or NOT_FOUND (deleted meanwhile). */
export async function verifyHandle(scope: RootScope, handle: FileHandle, subject: string, stats?: Stats): Promise<Verified> {
  const real = await kernelPathOf(handle, stats);
  if (!real) throw new McpdError('NOT_FOUND', `${subject} was removed while it was being opened`);
  const root = scope.rootOf(real);
  if (!root) throw outsideRoots(subject);
  return { root, real, located: scope.located(root, real) };
}

async function closeQuietly(handle: FileHandle | undefined): Promise<void> {
  try {
    await handle?.close();
  } catch {
    // already closed or never usable
  }
}

/**
 * An O_PATH descriptor for `lexical`, verified. With `follow`, a final symlink
 * is followed only to a target inside the roots; without it, the symlink
 * itself is what is returned.
 */
export async function openNode(scope: RootScope, lexical: Lexical, follow: boolean): Promise<OpenNode> {
  const subject = lexical.display;
  let handle: FileHandle | undefined;
  try {
    handle = await open(lexical.absolute, LOCATE_FLAGS | O_NOFOLLOW);
    let stats = await handle.stat();
    let verified = await verifyHandle(scope, handle, subject, stats);
    if (follow && stats.isSymbolicLink()) {
      await closeQuietly(handle);
      handle = undefined;
      try {
        handle = await open(lexical.absolute, LOCATE_FLAGS);
        stats = await handle.stat();
        verified = await verifyHandle(scope, handle, subject, stats);
      } catch (error) {
        if (error instanceof McpdError && error.code !== 'PERMISSION_DENIED') throw error;
        throw linkRefused(subject);
      }
    }
    return { handle, stats, ...verified };
  } catch (error) {
    await closeQuietly(handle);
    throw fsFailure(error, subject);
  }
}

/** Re-opens what an O_PATH descriptor holds, with real access, and checks that it is the same inode. */
export async function reopen(node: OpenNode, flags: number): Promise<FileHandle> {
  const handle = await open(fdPath(node.handle.fd), flags);
  try {
    const stats = await handle.stat();
    if (stats.dev !== node.stats.dev || stats.ino !== node.stats.ino) throw new McpdError('CONFLICT', `${node.located.display} changed while it was being opened`);
    return handle;
  } catch (error) {
    await closeQuietly(handle);
    throw error;
  }
}

/** A verified directory, open for listing (O_RDONLY|O_DIRECTORY); a final symlink is followed only into the roots. */
export async function openDirectory(scope: RootScope, lexical: Lexical): Promise<{ handle: FileHandle; stats: Stats } & Verified> {
  const node = await openNode(scope, lexical, true);
  try {
    if (!node.stats.isDirectory()) throw new McpdError('VALIDATION_ERROR', `${node.located.display} is not a directory`);
    const handle = await reopen(node, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY);
    return { handle, stats: node.stats, root: node.root, real: node.real, located: node.located };
  } catch (error) {
    throw fsFailure(error, node.located.display);
  } finally {
    await closeQuietly(node.handle);
  }
}

export interface ParentDirectory extends Verified {
  /** The verified parent directory, open O_RDONLY|O_DIRECTORY. */
  handle: FileHandle;
  /** The final component, to be used only through `atPath(handle.fd, name)`. */
  name: string;
  /** Display of the final entry. */
  display: string;
}

/**
 * Walks from the root to the parent of `lexical`, one verified directory at a
 * time; with `create`, missing directories are made on the way (inside the
 * verified parent, then opened without following and verified).
 */
export async function openParent(scope: RootScope, lexical: Lexical, create: boolean): Promise<ParentDirectory> {
  if (lexical.rest.length === 0) throw new McpdError('PERMISSION_DENIED', `${lexical.display} is a root directory; it cannot be replaced, moved or removed`);
  const root = lexical.rootRef;
  const prefixDisplay = (count: number) => scope.display(root, lexical.rest.slice(0, count).join('/'));
  let handle: FileHandle | undefined;
  try {
    handle = await open(root.path, O_RDONLY | O_DIRECTORY);
    let verified = await verifyHandle(scope, handle, prefixDisplay(0));
    for (let i = 0; i < lexical.rest.length - 1; i++) {
      const subject = prefixDisplay(i + 1);
      const path = atPath(handle.fd, lexical.rest[i]);
      let next: FileHandle;
      try {
        next = await open(path, O_RDONLY | O_DIRECTORY);
      } catch (error) {
        if (create && errnoOf(error) === 'ENOTDIR') throw new McpdError('CONFLICT', `${subject} exists and is not a directory`, { cause: error });
        if (!create || errnoOf(error) !== 'ENOENT') throw fsFailure(error, subject);
        try {
          await mkdir(path, 0o777);
        } catch (made) {
          if (errnoOf(made) !== 'EEXIST') throw fsFailure(made, subject);
        }
        try {
          next = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        } catch (reopened) {
          throw errnoOf(reopened) === 'ELOOP' || errnoOf(reopened) === 'ENOTDIR'
            ? new McpdError('CONFLICT', `${subject} exists and is not a directory`, { cause: reopened })
            : fsFailure(reopened, subject);
        }
      }
      await closeQuietly(handle);
      handle = next;
      verified = await verifyHandle(scope, handle, subject);
    }
    const name = lexical.rest[lexical.rest.length - 1];
    return { handle, name, display: lexical.display, ...verified };
  } catch (error) {
    await closeQuietly(handle);
    throw fsFailure(error, lexical.display);
  }
}

export { closeQuietly };

/** The entry `name` inside the verified directory `dirFd`, located without following it, verified. */
export async function verifyEntry(scope: RootScope, dirFd: number, name: string, subject: string): Promise<Verified> {
  const handle = await open(atPath(dirFd, name), LOCATE_FLAGS | O_NOFOLLOW);
  try {
    return await verifyHandle(scope, handle, subject);
  } finally {
    await closeQuietly(handle);
  }
}

/** The Located of `name` inside a verified directory. */
export function childLocated(scope: RootScope, parent: Verified, name: string): Located {
  return scope.located(parent.root, Buffer.concat([parent.real, Buffer.from(parent.real.length === 1 ? name : `/${name}`)]));
}

export function hardLinkRefused(subject: string, links: number): McpdError {
  return new McpdError(
    'PERMISSION_DENIED',
    `${subject} has ${links} hard links; files with more than one link are refused (another link may be outside the allowed roots)`,
  );
}
