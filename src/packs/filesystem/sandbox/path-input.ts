/**
 * What an agent may write as a path, before anything is resolved: a POSIX
 * path (relative or absolute) or a `file://` URL naming one. Everything else
 * is refused with VALIDATION_ERROR, so that no other reading of the same
 * string (a shell's `~`, Windows' `\` and drive letters, UNC shares, URL
 * decoding done twice) can name a different file than the one checked:
 *
 * - NUL bytes (C truncates there), other control characters, lone surrogates;
 * - `~` and `~user` (home directories are a shell's idea);
 * - any backslash (`..\x`, `\\server\share`), drive letters (`C:`, `C:\`, `c:/`),
 *   and `//server/share`;
 * - URLs other than `file://` without a host, query or fragment (the URL
 *   parser decodes `%2e%2e` into `..` and removes it — the decoded path is
 *   checked like any other; an encoded `/` is refused);
 * - paths longer than PATH_MAX (4095 bytes) or with a component longer than
 *   NAME_MAX (255 bytes).
 *
 * A file whose name really starts with `~` or looks like `name:` is reached
 * as `./~name` or `./name:x`. Names with backslashes or control characters
 * cannot be reached.
 */
import { fileURLToPath } from 'node:url';
import { McpdError } from '../../../chassis/errors.js';
import { quoteInput } from './fs-errors.js';

export const MAX_PATH_BYTES = 4095;
export const MAX_NAME_BYTES = 255;

export interface ParsedPath {
  absolute: boolean;
  /** Components as written, without empty ones and `.`; `..` kept (resolved lexically later). */
  components: string[];
}

const LONE_SURROGATE = /\p{Cs}/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0001-\u001f\u007f]/;
const DRIVE = /^[A-Za-z]:/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;
const FILE_URL = /^file:\/\//i;

function invalid(message: string): McpdError {
  return new McpdError('VALIDATION_ERROR', message);
}

/** The checks that apply to every path string, written or decoded from a URL. */
function checkCharacters(path: string, shown: string): void {
  if (path.length === 0) throw invalid('The path is empty');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw invalid(`The path is too long (more than ${MAX_PATH_BYTES} bytes)`);
  if (LONE_SURROGATE.test(path)) throw invalid(`The path ${shown} is not valid Unicode`);
  if (path.includes('\0')) throw invalid(`The path ${shown} contains a NUL byte`);
  if (CONTROL.test(path)) throw invalid(`The path ${shown} contains control characters`);
  if (path.includes('\\')) throw invalid(`The path ${shown} contains a backslash; Windows and UNC paths are not supported (use / as the separator)`);
  if (path.startsWith('//')) throw invalid(`The path ${shown} looks like a network share (//server/share); only local paths are supported`);
}

function decodeFileUrl(input: string, shown: string): string {
  if (!FILE_URL.test(input)) throw invalid(`The path ${shown} is a URL; only file:// URLs are accepted (write ./${input} for a file whose name contains a colon)`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw invalid(`The path ${shown} is not a valid file:// URL`);
  }
  if (url.hostname !== '' && url.hostname !== 'localhost') throw invalid(`The file URL ${shown} names a host; only local files are supported`);
  if (url.search !== '' || url.hash !== '') throw invalid(`The file URL ${shown} has a query or fragment; percent-encode ? and # in file names`);
  try {
    return fileURLToPath(url);
  } catch {
    throw invalid(`The file URL ${shown} is not a valid local path (an encoded / is not allowed)`);
  }
}

/** Validates an agent's path and splits it into components; no filesystem access. */
export function parsePathInput(input: unknown): ParsedPath {
  if (typeof input !== 'string') throw invalid('The path must be a string');
  const shown = quoteInput(input);
  checkCharacters(input, shown);
  let path = input;
  if (path.startsWith('~')) throw invalid(`The path ${shown} starts with ~; home-directory paths are not supported (write ./${input} for a file named so)`);
  if (DRIVE.test(path)) throw invalid(`The path ${shown} has a Windows drive letter; only POSIX paths are supported`);
  if (SCHEME.test(path)) {
    path = decodeFileUrl(path, shown);
    checkCharacters(path, shown);
  }
  const components = path.split('/').filter((part) => part !== '' && part !== '.');
  for (const part of components) {
    if (Buffer.byteLength(part) > MAX_NAME_BYTES) throw invalid(`The path ${shown} has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return { absolute: path.startsWith('/'), components };
}

/**
 * Resolves `..` lexically on top of `base` (components of an absolute path);
 * `..` at `/` stays at `/`, as the kernel does.
 */
export function resolveComponents(base: readonly string[], components: readonly string[]): string[] {
  const out = [...base];
  for (const part of components) {
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}
