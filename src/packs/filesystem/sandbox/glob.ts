/**
 * File-name globs as fs_search documents them: picomatch, dotfiles included,
 * matched against the path relative to the searched directory (`src/a.ts`).
 * One definition: the scanner thread filters with it, the main thread
 * compiles it first so that a bad pattern is the caller's error.
 */
import picomatch from 'picomatch';
import { McpdError } from '../../../chassis/errors.js';

export interface GlobSpec {
  pattern: string;
  caseSensitive: boolean;
}

export function globMatcher(glob: GlobSpec): (relative: string) => boolean {
  try {
    return picomatch(glob.pattern, { dot: true, nocase: !glob.caseSensitive });
  } catch (error) {
    throw new McpdError('VALIDATION_ERROR', `glob is not a valid pattern: ${(error as Error).message}`);
  }
}
