/**
 * Atomic writes: the content goes to a new temporary file created (O_CREAT |
 * O_EXCL | O_NOFOLLOW) inside the verified parent directory, is fsynced, and
 * then takes the target's name in one step; the directory is fsynced after.
 * Readers see the old file or the new one, never a mix, and a crash leaves at
 * worst a `.mcpd-*.tmp` file.
 *
 * - An existing target is replaced only with `overwrite` (else CONFLICT). A
 *   new target is committed with link(2), which fails when the name appeared
 *   meanwhile, so "no overwrite" holds even against a concurrent writer;
 *   filesystems without hard links fall back to check-then-rename (the race
 *   can then replace a file created in that instant, in the same directory).
 * - A symlink at the target is refused (never written through, never replaced),
 *   as are directories and special files.
 * - A hard-linked target (nlink > 1) is refused when refuseHardLinks is on.
 *   (Replacing never writes into the old inode, so other links keep their
 *   content either way.) The replacement keeps the old file's permission bits.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { errnoOf, fsFailure, lstatIfExists } from './fs-errors.js';
import type { Lexical } from './locate.js';
import { atPath, O_CREAT, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_WRONLY } from './proc-fd.js';
import type { RootScope } from './scope.js';
import type { Located } from './types.js';
import { closeQuietly, hardLinkRefused, openParent, verifyEntry, verifyHandle } from './verified-open.js';

/** Errors of link(2) that mean "this filesystem cannot make hard links here", not "the name exists". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

export function alreadyExists(subject: string): McpdError {
  return new McpdError('CONFLICT', `${subject} already exists (set overwrite to replace it)`);
}

/** Gives `from` the name `to` unless `to` exists (link + unlink; check + rename where links are not supported). Not for directories. */
export async function renameNoReplace(from: string, to: string, subject: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'EEXIST') throw alreadyExists(subject);
    if (code === undefined || !NO_HARD_LINKS.has(code)) throw error;
    if (await lstatIfExists(to)) throw alreadyExists(subject);
    await rename(from, to);
    return;
  }
  await unlink(from);
}

export async function syncQuietly(handle: FileHandle): Promise<void> {
  try {
    await handle.sync();
  } catch {
    // some filesystems cannot fsync a directory (EINVAL); the data itself was synced
  }
}

export async function writeAtomic(
  scope: RootScope,
  refuseHardLinks: boolean,
  lexical: Lexical,
  data: string | Uint8Array,
  options: { overwrite: boolean; createParents: boolean },
): Promise<{ located: Located; created: boolean; bytes: number }> {
  const subject = lexical.display;
  if (lexical.rest.length === 0) throw new McpdError('CONFLICT', `${subject} is a directory`);
  const parent = await openParent(scope, lexical, options.createParents);
  let temporary: string | undefined;
  let file: FileHandle | undefined;
  try {
    const target = atPath(parent.handle.fd, parent.name);
    const existing = await lstatIfExists(target);
    if (existing) {
      if (existing.isSymbolicLink()) throw new McpdError('PERMISSION_DENIED', `${subject} is a symbolic link; writing through links is refused`);
      if (existing.isDirectory()) throw new McpdError('CONFLICT', `${subject} is a directory`);
      if (!existing.isFile()) throw new McpdError('PERMISSION_DENIED', `${subject} is not a regular file`);
      if (!options.overwrite) throw alreadyExists(subject);
      if (refuseHardLinks && existing.nlink > 1) throw hardLinkRefused(subject, existing.nlink);
    }
    const name = `.mcpd-${randomBytes(8).toString('hex')}.tmp`;
    const path = atPath(parent.handle.fd, name);
    file = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0o666);
    temporary = name;
    await verifyHandle(scope, file, subject);
    if (existing) await file.chmod(existing.mode & 0o777);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await file.writeFile(bytes);
    await file.sync();
    if (existing) await rename(path, target);
    else await renameNoReplace(path, target, subject);
    temporary = undefined;
    await syncQuietly(parent.handle);
    const { located } = await verifyEntry(scope, parent.handle.fd, parent.name, subject);
    return { located, created: !existing, bytes: bytes.byteLength };
  } catch (error) {
    throw fsFailure(error, subject);
  } finally {
    if (temporary !== undefined) await unlink(atPath(parent.handle.fd, temporary)).catch(() => undefined);
    await closeQuietly(file);
    await closeQuietly(parent.handle);
  }
}
