/**
 * "Inside a root" means: equal to the root or below it by whole path
 * components — never a string prefix (`/srv/root-evil` is not inside
 * `/srv/root`).
 *
 * Two comparisons, for two purposes:
 *
 * - `isWithinBytes` decides. It compares the kernel's report of an opened
 *   file descriptor's path with a root's real path, byte for byte: Linux
 *   filesystems store names as bytes, so `café` (NFC) and `café` (NFD) are two
 *   different directories there, and normalising either side could let the
 *   NFD twin of a root pass as the root. Decoding to strings is avoided too
 *   (two different invalid UTF-8 names decode to the same U+FFFD).
 * - `matchComponents` only locates an agent's input lexically (before any
 *   filesystem access) and compares in NFC, so that an absolute input that
 *   spells a root in another normalisation still names that root. The path
 *   built from it uses the root's real bytes; the decision above is made on
 *   what is opened.
 */

const SLASH = 0x2f;

/** `path` is `root` or below it by components; both are absolute kernel paths without trailing slashes (except `/`). */
export function isWithinBytes(path: Uint8Array, root: Uint8Array): boolean {
  if (path.length < root.length) return false;
  for (let i = 0; i < root.length; i++) if (path[i] !== root[i]) return false;
  if (path.length === root.length) return true;
  // Root `/`: everything absolute is below it. Otherwise the next byte must be a separator.
  return root.length === 1 ? root[0] === SLASH : path[root.length] === SLASH;
}

/** The bytes below `root` (`a/b`), '' for the root itself; only for paths `isWithinBytes(path, root)`. */
export function relativeBytes(path: Uint8Array, root: Uint8Array): Buffer {
  if (path.length === root.length) return Buffer.alloc(0);
  const start = root.length === 1 ? 1 : root.length + 1;
  return Buffer.from(path.buffer, path.byteOffset + start, path.length - start);
}

export function nfc(text: string): string {
  return text.normalize('NFC');
}

/** `components` begins with `prefix` (compared in NFC, case-sensitively). */
export function matchComponents(components: readonly string[], prefixNfc: readonly string[]): boolean {
  if (components.length < prefixNfc.length) return false;
  for (let i = 0; i < prefixNfc.length; i++) if (nfc(components[i]) !== prefixNfc[i]) return false;
  return true;
}

/** Components of an absolute path (`/` → []). */
export function splitAbsolute(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

export function joinAbsolute(components: readonly string[]): string {
  return `/${components.join('/')}`;
}
