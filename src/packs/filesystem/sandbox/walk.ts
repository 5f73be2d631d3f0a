/**
 * A depth-first walk below a verified directory. Symlinks are reported, never
 * followed; each subdirectory is opened through its parent's descriptor with
 * O_NOFOLLOW|O_DIRECTORY and verified, and directories already visited (by
 * device and inode: bind mounts) are not entered twice, so the walk cannot
 * loop or leave the roots. Entries come sorted by name within a directory;
 * it stops at maxEntries and does not enter directories at maxDepth.
 */
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { atPathBytes, describeEntries, readEntries, type RawEntry } from './entries.js';
import { errnoOf } from './fs-errors.js';
import { O_DIRECTORY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY } from './proc-fd.js';
import { childDisplay, type RootScope } from './scope.js';
import type { WalkEntry, WalkOptions, WalkSummary } from './types.js';
import { closeQuietly, verifyHandle } from './verified-open.js';

const inode = (stats: Stats) => `${stats.dev}:${stats.ino}`;
const UNREADABLE = new Set(['EACCES', 'EPERM', 'ENOENT']);

export async function* walkTree(scope: RootScope, start: { handle: FileHandle; stats: Stats; display: string }, options: WalkOptions): AsyncGenerator<WalkEntry, WalkSummary> {
  const summary: WalkSummary = { entriesCapped: false, depthCapped: false };
  const visited = new Set([inode(start.stats)]);
  let count = 0;

  async function* visit(dir: FileHandle, display: string, depth: number): AsyncGenerator<WalkEntry, boolean> {
    let entries: RawEntry[];
    try {
      // One more than the cap leaves room for, to tell that the cap was reached.
      entries = await readEntries(dir.fd, options.maxEntries - count + 1);
    } catch (error) {
      // A subdirectory the process may not read (or one removed meanwhile) is skipped, not fatal.
      if (depth > 1 && UNREADABLE.has(errnoOf(error) ?? '')) return false;
      throw error;
    }
    for (let i = 0; i < entries.length; i++) {
      if (options.signal?.aborted) throw new McpdError('CANCELLED', 'The listing was cancelled');
      if (count >= options.maxEntries) {
        summary.entriesCapped = true;
        return true;
      }
      count++;
      const [info] = await describeEntries(scope, dir.fd, display, [entries[i]]);
      yield { ...info, depth };
      if (!entries[i].stats.isDirectory()) continue;
      if (depth >= options.maxDepth) {
        summary.depthCapped = true;
        continue;
      }
      let child: FileHandle;
      try {
        child = await open(atPathBytes(dir.fd, entries[i].nameBytes), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
      } catch {
        continue; // replaced by a symlink or a file, or removed, since it was listed
      }
      try {
        const stats = await child.stat();
        if (visited.has(inode(stats))) continue;
        visited.add(inode(stats));
        try {
          await verifyHandle(scope, child, info.display, stats);
        } catch {
          continue; // moved out of the roots since it was listed
        }
        if (yield* visit(child, childDisplay(display, entries[i].name), depth + 1)) return true;
      } finally {
        await closeQuietly(child);
      }
    }
    return false;
  }

  if (options.maxDepth < 1) {
    summary.depthCapped = true;
    return summary;
  }
  yield* visit(start.handle, start.display, 1);
  return summary;
}
