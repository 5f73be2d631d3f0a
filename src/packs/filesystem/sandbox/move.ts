/**
 * Moves and renames between two verified parent directories (both inside the
 * roots; neither is created). The entry itself is moved — a symlink stays a
 * symlink, never followed. Without `overwrite` an existing destination is a
 * CONFLICT: files and symlinks are committed with link(2) + unlink, which
 * fails if the name appears meanwhile; a directory is renamed after a check,
 * and rename(2) of a directory can only ever replace an empty directory, so
 * that race cannot destroy content. With `overwrite`, rename(2) replaces the
 * destination entry atomically (a symlink there is replaced, not followed; a
 * non-empty directory is refused by the kernel). Roots cannot be moved or
 * replaced.
 */
import { lstat, rename } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { fsFailure, lstatIfExists } from './fs-errors.js';
import type { Lexical } from './locate.js';
import { atPath } from './proc-fd.js';
import type { RootScope } from './scope.js';
import type { Located } from './types.js';
import { alreadyExists, renameNoReplace, syncQuietly } from './write.js';
import { childLocated, closeQuietly, openParent, verifyEntry, type ParentDirectory } from './verified-open.js';

export async function moveEntry(scope: RootScope, from: Lexical, to: Lexical, options: { overwrite: boolean }): Promise<{ from: Located; to: Located }> {
  let source: ParentDirectory | undefined;
  let destination: ParentDirectory | undefined;
  try {
    source = await openParent(scope, from, false);
    destination = await openParent(scope, to, false);
    const sourcePath = atPath(source.handle.fd, source.name);
    const destinationPath = atPath(destination.handle.fd, destination.name);
    let sourceStats;
    try {
      sourceStats = await lstat(sourcePath);
    } catch (error) {
      throw fsFailure(error, from.display);
    }
    const fromLocated = childLocated(scope, source, source.name);
    if (source.real.equals(destination.real) && source.name === destination.name) return { from: fromLocated, to: fromLocated };
    const existing = await lstatIfExists(destinationPath);
    if (existing && !options.overwrite) throw alreadyExists(to.display);
    if (existing && existing.isDirectory() && !sourceStats.isDirectory()) throw new McpdError('CONFLICT', `${to.display} is a directory`);
    try {
      if (existing || sourceStats.isDirectory()) await rename(sourcePath, destinationPath);
      else await renameNoReplace(sourcePath, destinationPath, to.display);
    } catch (error) {
      throw fsFailure(error, to.display);
    }
    await syncQuietly(destination.handle);
    if (!source.real.equals(destination.real)) await syncQuietly(source.handle);
    const { located } = await verifyEntry(scope, destination.handle.fd, destination.name, to.display);
    return { from: fromLocated, to: located };
  } finally {
    await closeQuietly(source?.handle);
    await closeQuietly(destination?.handle);
  }
}
