/**
 * Lexical location of an agent's path, without touching the filesystem:
 * validate (path-input.ts), resolve `..` lexically (relative paths start at
 * the first root), then find the root it lies in by whole components, in NFC.
 * The result names the file by the root's real path plus the components as
 * the agent wrote them (not normalised: Linux names are bytes, and a file
 * stored in NFD must stay reachable by the name a listing showed).
 *
 * This is only the first gate (and the source of clear messages); what is
 * opened is verified again through its descriptor.
 */
import { McpdError } from '../../../chassis/errors.js';
import { joinAbsolute } from './containment.js';
import { quoteInput } from './fs-errors.js';
import { parsePathInput, resolveComponents } from './path-input.js';
import { matchRoot, type Root } from './roots.js';
import type { RootScope } from './scope.js';
import type { Located } from './types.js';

export interface Lexical extends Located {
  rootRef: Root;
  /** Components below the root ([] for the root itself). */
  rest: string[];
}

export function noRoots(): McpdError {
  return new McpdError('PERMISSION_DENIED', "No directory is accessible: the client's roots include none of the directories this server allows");
}

export function locateLexically(scope: RootScope, input: unknown): Lexical {
  const parsed = parsePathInput(input);
  if (scope.roots.length === 0) throw noRoots();
  const components = resolveComponents(parsed.absolute ? [] : scope.roots[0].components, parsed.components);
  const match = matchRoot(scope.roots, components);
  if (!match) throw new McpdError('PERMISSION_DENIED', `${quoteInput(input as string)} is outside the allowed roots`);
  const root = match.root;
  const rest = components.slice(match.length);
  return {
    root: root.path,
    absolute: joinAbsolute([...root.components, ...rest]),
    display: scope.display(root, rest.join('/')),
    rootRef: root,
    rest,
  };
}
