/**
 * Directory creation inside a verified parent (parents made one verified
 * level at a time with `parents`). An existing directory is not an error
 * (`created: false`); an existing symlink or file at the name is a CONFLICT —
 * mkdir(2) never follows a symlink, and the result is opened with
 * O_NOFOLLOW|O_DIRECTORY and verified.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';
import { errnoOf, fsFailure } from './fs-errors.js';
import type { Lexical } from './locate.js';
import { atPath, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from './proc-fd.js';
import type { RootScope } from './scope.js';
import type { Located } from './types.js';
import { closeQuietly, openDirectory, openParent, verifyHandle } from './verified-open.js';

export async function makeDirectory(scope: RootScope, lexical: Lexical, options: { parents: boolean }): Promise<{ located: Located; created: boolean }> {
  if (lexical.rest.length === 0) {
    const root = await openDirectory(scope, lexical);
    await closeQuietly(root.handle);
    return { located: root.located, created: false };
  }
  const subject = lexical.display;
  const parent = await openParent(scope, lexical, options.parents);
  let directory: FileHandle | undefined;
  try {
    const path = atPath(parent.handle.fd, parent.name);
    let created = true;
    try {
      await mkdir(path, 0o777);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
      created = false;
    }
    try {
      directory = await open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      const code = errnoOf(error);
      if (code === 'ELOOP' || code === 'ENOTDIR') throw new McpdError('CONFLICT', `${subject} exists and is not a directory`, { cause: error });
      throw error;
    }
    const { located } = await verifyHandle(scope, directory, subject);
    return { located, created };
  } catch (error) {
    throw fsFailure(error, subject);
  } finally {
    await closeQuietly(directory);
    await closeQuietly(parent.handle);
  }
}
