/**
 * Directory entries as agents see them: listed through a verified directory
 * descriptor, described by lstat (a symlink is reported as a symlink, never
 * followed), with a symlink's target shown only when it resolves inside the
 * roots (the target is opened O_PATH and verified; missing or outside targets
 * are simply not shown, so a listing reveals nothing outside).
 */
import type { Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { errnoOf } from './fs-errors.js';
import { fdPath, kernelPathOf, LOCATE_FLAGS } from './proc-fd.js';
import { childDisplay, type RootScope } from './scope.js';
import type { EntryInfo, EntryType } from './types.js';

export function entryType(stats: Stats): EntryType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

export function entryInfo(name: string, display: string, stats: Stats, target?: string): EntryInfo {
  const info: EntryInfo = { name, display, type: entryType(stats), size: stats.size, modified: stats.mtime.toISOString() };
  if (target !== undefined) info.target = target;
  return info;
}

/** `/proc/self/fd/<dirFd>/<name>` as bytes (names need not be valid UTF-8). */
export function atPathBytes(dirFd: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${fdPath(dirFd)}/`), name]);
}

/** The display of what the symlink at `path` resolves to, when that is inside the roots. */
export async function linkTargetDisplay(scope: RootScope, path: string | Buffer): Promise<string | undefined> {
  try {
    const handle = await open(path, LOCATE_FLAGS);
    try {
      const real = await kernelPathOf(handle);
      const root = real && scope.rootOf(real);
      return root ? scope.located(root, real).display : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

export interface RawEntry {
  name: string;
  nameBytes: Buffer;
  stats: Stats;
}

/**
 * The first `limit` entries by name of the directory open as `dirFd`, lstat'ed through it; entries that vanish
 * meanwhile are skipped. Names are sorted before anything is lstat'ed, so a listing capped at N costs N lstats
 * (each a threadpool round trip), not one per entry of a directory of a million.
 */
export async function readEntries(dirFd: number, limit = Infinity): Promise<RawEntry[]> {
  const names = await readdir(fdPath(dirFd), { encoding: 'buffer' });
  names.sort(Buffer.compare);
  const entries: RawEntry[] = [];
  for (const nameBytes of names) {
    if (entries.length >= limit) break;
    try {
      entries.push({ name: nameBytes.toString('utf8'), nameBytes, stats: await lstat(atPathBytes(dirFd, nameBytes)) });
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
  }
  return entries;
}

/** EntryInfo for each raw entry of the directory displayed as `dirDisplay`. */
export async function describeEntries(scope: RootScope, dirFd: number, dirDisplay: string, entries: readonly RawEntry[]): Promise<EntryInfo[]> {
  const infos: EntryInfo[] = [];
  for (const entry of entries) {
    const target = entry.stats.isSymbolicLink() ? await linkTargetDisplay(scope, atPathBytes(dirFd, entry.nameBytes)) : undefined;
    infos.push(entryInfo(entry.name, childDisplay(dirDisplay, entry.name), entry.stats, target));
  }
  return infos;
}
