/**
 * Deletion inside a verified parent directory. unlink(2) and rmdir(2) never
 * follow symlinks: a symlink is removed as a link, its target untouched.
 * Recursive removal descends through descriptors only (each subdirectory
 * opened O_NOFOLLOW|O_DIRECTORY through its parent's descriptor and
 * verified) and stops at any mount point (a CONFLICT, like
 * `rm --one-file-system`, but by mount id, so bind mounts of the same device
 * count too): a mount inside the tree cannot extend a delete beyond it. Roots
 * cannot be removed.
 */
import { lstat, open, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { atPathBytes, readEntries } from './entries.js';
import { errnoOf, fsFailure } from './fs-errors.js';
import type { Lexical } from './locate.js';
import { atPath, mountOf, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from './proc-fd.js';
import { childDisplay, type RootScope } from './scope.js';
import type { Located } from './types.js';
import { childLocated, closeQuietly, openParent, verifyHandle } from './verified-open.js';
import { syncQuietly } from './write.js';

async function removeContents(scope: RootScope, directory: FileHandle, mount: string, display: string): Promise<number> {
  let removed = 0;
  for (const entry of await readEntries(directory.fd)) {
    const path = atPathBytes(directory.fd, entry.nameBytes);
    const shown = childDisplay(display, entry.name);
    if (entry.stats.isDirectory()) {
      let child: FileHandle | undefined;
      try {
        child = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (error) {
        const code = errnoOf(error);
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw fsFailure(error, shown);
      }
      if (child) {
        try {
          const stats = await child.stat();
          if ((await mountOf(child, stats)) !== mount) throw new McpdError('CONFLICT', `${shown} is a mount point; it was not removed`);
          await verifyHandle(scope, child, shown, stats);
          removed += await removeContents(scope, child, mount, shown);
        } finally {
          await closeQuietly(child);
        }
        await rmdir(path);
        removed++;
        continue;
      }
      // It became something else since it was listed: remove that entry as it is now.
    }
    await unlink(path);
    removed++;
  }
  return removed;
}

export async function removeEntry(scope: RootScope, lexical: Lexical, options: { recursive: boolean }): Promise<{ located: Located; removed: number }> {
  const subject = lexical.display;
  const parent = await openParent(scope, lexical, false);
  try {
    const path = atPath(parent.handle.fd, parent.name);
    const stats = await lstat(path);
    const located = childLocated(scope, parent, parent.name);
    let removed = 1;
    if (!stats.isDirectory()) {
      await unlink(path);
    } else if (!options.recursive) {
      try {
        await rmdir(path);
      } catch (error) {
        if (errnoOf(error) === 'ENOTEMPTY' || errnoOf(error) === 'EEXIST') throw new McpdError('CONFLICT', `${subject} is a directory that is not empty (set recursive to remove it with its contents)`, { cause: error });
        throw error;
      }
    } else {
      const directory = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      try {
        const own = await directory.stat();
        const mount = await mountOf(directory, own);
        if (mount !== (await mountOf(parent.handle, await parent.handle.stat()))) throw new McpdError('CONFLICT', `${subject} is a mount point; it was not removed`);
        await verifyHandle(scope, directory, subject, own);
        removed += await removeContents(scope, directory, mount, subject);
      } finally {
        await closeQuietly(directory);
      }
      await rmdir(path);
    }
    await syncQuietly(parent.handle);
    return { located, removed };
  } catch (error) {
    throw fsFailure(error, subject);
  } finally {
    await closeQuietly(parent.handle);
  }
}
