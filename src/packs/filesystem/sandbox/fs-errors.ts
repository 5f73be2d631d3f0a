/**
 * Operating-system failures as McpdErrors that name the problem with a display
 * path (inside a root) or the agent's own input, never with a path the kernel
 * reported: system error messages carry absolute paths (`/proc/self/fd/23/x`,
 * a symlink's target), so they only ever travel as the `cause`.
 */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';

/** The errno code of a Node system error, if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The agent's input for a message: JSON-quoted (controls escaped), shortened. */
export function quoteInput(input: string): string {
  const text = input.length > 120 ? `${input.slice(0, 117)}...` : input;
  return JSON.stringify(text);
}

/** `subject` is a display path or a quoted input. Errors that are already McpdErrors pass through. */
export function fsFailure(error: unknown, subject: string): McpdError {
  if (error instanceof McpdError) return error;
  const options = { cause: error };
  switch (errnoOf(error)) {
    case 'ENOENT':
      return new McpdError('NOT_FOUND', `${subject} does not exist`, options);
    case 'ENOTDIR':
      return new McpdError('NOT_FOUND', `${subject} does not exist (a part of the path is not a directory)`, options);
    case 'EACCES':
    case 'EPERM':
      return new McpdError('PERMISSION_DENIED', `The operating system denied access to ${subject}`, options);
    case 'EROFS':
      return new McpdError('PERMISSION_DENIED', `${subject} is on a read-only filesystem`, options);
    case 'ELOOP':
      return new McpdError('VALIDATION_ERROR', `${subject}: too many levels of symbolic links`, options);
    case 'ENAMETOOLONG':
      return new McpdError('VALIDATION_ERROR', `${subject}: the path is too long`, options);
    case 'EEXIST':
      return new McpdError('CONFLICT', `${subject} already exists`, options);
    case 'ENOTEMPTY':
      return new McpdError('CONFLICT', `${subject} is a directory that is not empty`, options);
    case 'EISDIR':
      return new McpdError('CONFLICT', `${subject} is a directory`, options);
    case 'EXDEV':
      return new McpdError('CONFLICT', `${subject}: cannot move across filesystems`, options);
    case 'EBUSY':
    case 'ETXTBSY':
      return new McpdError('CONFLICT', `${subject} is busy`, options);
    case 'EINVAL':
      return new McpdError('VALIDATION_ERROR', `${subject}: invalid operation (a directory cannot move into itself)`, options);
    case 'ENOSPC':
    case 'EDQUOT':
      return new McpdError('UNAVAILABLE', `No space left for ${subject}`, options);
    case 'EMFILE':
    case 'ENFILE':
      return new McpdError('UNAVAILABLE', 'Too many open files; try again', { ...options, retryAfterMs: 1000 });
    default:
      return new McpdError('INTERNAL', 'Internal error', options);
  }
}

/** lstat, or undefined when nothing is there. */
export async function lstatIfExists(path: string | Buffer): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}
