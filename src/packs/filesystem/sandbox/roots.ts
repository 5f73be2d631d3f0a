/**
 * Roots: the directories agents may reach.
 *
 * Configured roots are resolved once, at start: realpath, then opened, and
 * the kernel's own spelling of the opened directory (`/proc/self/fd`) becomes
 * the root's path — the form every later verification compares against, so
 * an alias such as macOS' `/tmp` → `/private/tmp` or a symlinked home
 * directory is resolved away. The configured spelling is kept as an alias
 * for locating absolute inputs and client roots written with it. A missing
 * root, a file, a root whose real path is not valid UTF-8, and roots that
 * overlap (one inside the other, or two spellings of one directory) refuse
 * to start: each file must belong to exactly one root.
 *
 * Narrowing (the client's MCP roots) is lexical and can only shrink: a client
 * root is kept when it is a configured root or a directory below one
 * (compared by components, in NFC); `file:///`, parents of roots, other
 * places, other schemes and malformed URIs are ignored. Nested client roots
 * collapse into the outermost. A narrowed root below a symlink is kept as
 * written; since verification compares kernel paths with it, everything
 * under it is then refused (fail closed), never widened.
 */
import { realpath, open, readlink } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { McpdError } from '../../../chassis/errors.js';
import { isWithinBytes, joinAbsolute, matchComponents, nfc, splitAbsolute } from './containment.js';
import { errnoOf } from './fs-errors.js';
import { parsePathInput, resolveComponents } from './path-input.js';
import { fdPath, O_DIRECTORY, O_RDONLY } from './proc-fd.js';

export interface Root {
  name: string;
  /** Real path (the kernel's spelling). */
  path: string;
  bytes: Buffer;
  components: string[];
  /** NFC components of the real path and of every alias (the configured spelling), for lexical matching. */
  spellings: string[][];
}

function makeRoot(path: string, aliases: readonly string[][] = []): Root {
  const components = splitAbsolute(path);
  const real = components.map(nfc);
  const spellings = [real, ...aliases.map((alias) => alias.map(nfc)).filter((alias) => alias.join('/') !== real.join('/'))];
  return { name: '', path, bytes: Buffer.from(path), components, spellings };
}

/** Unique display names: the directory name, `-2`, `-3`… on clashes; `/` for the filesystem root. */
function named(roots: Root[]): Root[] {
  const used = new Set<string>();
  return roots.map((root) => {
    const base = basename(root.path) || '/';
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
    used.add(name);
    return { ...root, name };
  });
}

function invalidRoot(message: string, cause?: unknown): McpdError {
  return new McpdError('VALIDATION_ERROR', message, cause === undefined ? undefined : { cause });
}

async function resolveRoot(configured: string): Promise<Root> {
  if (configured.includes('\0')) throw invalidRoot('A filesystem root contains a NUL byte');
  const absolute = resolve(configured);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    const why = errnoOf(error) === 'ENOENT' ? 'does not exist' : `cannot be resolved (${errnoOf(error) ?? 'error'})`;
    throw invalidRoot(`The filesystem root ${configured} ${why}`, error);
  }
  let kernel: Buffer;
  try {
    const handle = await open(real, O_RDONLY | O_DIRECTORY);
    try {
      kernel = await readlink(fdPath(handle.fd), { encoding: 'buffer' });
    } finally {
      await handle.close();
    }
  } catch (error) {
    const why = errnoOf(error) === 'ENOTDIR' ? 'is not a directory' : `cannot be opened (${errnoOf(error) ?? 'error'})`;
    throw invalidRoot(`The filesystem root ${configured} ${why}`, error);
  }
  const path = kernel.toString('utf8');
  if (!Buffer.from(path).equals(kernel) || path[0] !== '/') throw invalidRoot(`The filesystem root ${configured} has a real path that is not valid UTF-8`);
  return makeRoot(path, [splitAbsolute(absolute)]);
}

/** Resolves the configured roots (see the module comment); throws VALIDATION_ERROR naming the root. */
export async function resolveRoots(configured: readonly string[]): Promise<Root[]> {
  const roots: Root[] = [];
  for (const entry of configured) roots.push(await resolveRoot(entry));
  for (let i = 0; i < roots.length; i++) {
    for (let j = i + 1; j < roots.length; j++) {
      const [a, b] = [roots[i], roots[j]];
      // Overlap by bytes, or once normalised (an NFC root and an NFD directory below its twin would make inputs ambiguous).
      const overlap = isWithinBytes(a.bytes, b.bytes) || isWithinBytes(b.bytes, a.bytes) || matchComponents(a.components, b.spellings[0]) || matchComponents(b.components, a.spellings[0]);
      if (overlap) {
        const same = a.path === b.path;
        throw invalidRoot(
          same
            ? `The filesystem roots ${configured[i]} and ${configured[j]} are the same directory (${a.path})`
            : `The filesystem roots ${configured[i]} and ${configured[j]} overlap (one is inside the other, perhaps once normalised to NFC); list only the outer one`,
        );
      }
    }
  }
  return named(roots);
}

/** The root (and how many components of `components` it spans) that `components` lies in, lexically; the longest match wins. */
export function matchRoot(roots: readonly Root[], components: readonly string[]): { root: Root; length: number } | undefined {
  let best: { root: Root; length: number } | undefined;
  for (const root of roots) {
    for (const spelling of root.spellings) {
      if (matchComponents(components, spelling) && (!best || spelling.length > best.length)) best = { root, length: spelling.length };
    }
  }
  return best;
}

/** The client's roots (file:// URIs) within `roots`; never wider (see the module comment). */
export function narrowRoots(roots: readonly Root[], uris: readonly string[]): Root[] {
  const candidates: Root[] = [];
  for (const uri of uris) {
    if (typeof uri !== 'string' || !/^file:\/\//i.test(uri)) continue;
    let components: string[];
    try {
      components = resolveComponents([], parsePathInput(uri).components);
    } catch {
      continue;
    }
    const match = matchRoot(roots, components);
    if (!match) continue;
    const rest = components.slice(match.length);
    const path = joinAbsolute([...match.root.components, ...rest]);
    candidates.push(makeRoot(path, match.root.spellings.slice(1).map((alias) => [...alias, ...rest])));
  }
  const kept = candidates.filter(
    (root, index) =>
      !candidates.some((other, j) => (j < index && other.path === root.path) || (other.path !== root.path && isWithinBytes(root.bytes, other.bytes))),
  );
  return named(kept);
}
