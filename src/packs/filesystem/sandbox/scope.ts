/**
 * A sandbox's set of roots: which root a kernel path belongs to, and how a
 * path inside a root is shown to agents.
 *
 * Display paths are what agents see and send back: relative to the first
 * root (`docs/readme.md`, `.` for the root itself); absolute for paths in the
 * other roots (a relative path always means the first root, so that form is
 * the one that round-trips; names that would read back differently, such as
 * `~draft` or `notes:x`, are shown as `./~draft`). Only paths inside roots are
 * ever displayed.
 */
import { isWithinBytes, relativeBytes } from './containment.js';
import type { Root } from './roots.js';
import type { Located, RootInfo } from './types.js';

export class RootScope {
  readonly info: readonly RootInfo[];

  constructor(readonly roots: readonly Root[]) {
    this.info = Object.freeze(roots.map((root) => Object.freeze({ name: root.name, path: root.path })));
  }

  /** The root a kernel path is in (by components, byte for byte), if any. */
  rootOf(path: Uint8Array): Root | undefined {
    return this.roots.find((root) => isWithinBytes(path, root.bytes));
  }

  /** The display of `relative` (components joined by `/`, '' for the root) inside `root`. */
  display(root: Root, relative: string): string {
    if (root === this.roots[0]) return relative === '' ? '.' : unambiguous(relative);
    if (relative === '') return root.path;
    return root.path === '/' ? `/${relative}` : `${root.path}/${relative}`;
  }

  /** A Located for a kernel path inside `root`. */
  located(root: Root, path: Uint8Array): Located {
    const relative = relativeBytes(path, root.bytes).toString('utf8');
    return { root: root.path, absolute: Buffer.from(path).toString('utf8'), display: this.display(root, relative) };
  }
}

/**
 * A relative display that would not read back as the same path (`~x` looks
 * like a home directory, `c:x` like a drive, `notes:x` like a URL) gets `./`.
 */
function unambiguous(relative: string): string {
  return relative.startsWith('~') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(relative) ? `./${relative}` : relative;
}

/** The display of `name` inside the directory displayed as `parent`. */
export function childDisplay(parent: string, name: string): string {
  if (parent === '.') return unambiguous(name);
  return parent.endsWith('/') ? `${parent}${name}` : `${parent}/${name}`;
}
