/**
 * The sandbox's public shapes: what it is built from, what it answers with.
 */

export interface SandboxOptions {
  /** Directories agents may reach: the configured maximum (relative ones resolve against the working directory). */
  roots: string[];
  /** Refuse to read or replace a regular file that has more than one hard link (another link may be outside the roots). */
  refuseHardLinks: boolean;
  /** Scanner threads `scanFiles` may run at once (default 2); further scans wait their turn. */
  scanThreads?: number;
}

/** A path inside a root. */
export interface Located {
  /** The root's real path. */
  root: string;
  /**
   * The path inside the root: from `locate`, the lexical path (not yet resolved);
   * from every operation, the real path of what was opened (verified inside `root`).
   */
  absolute: string;
  /**
   * The path shown to agents and accepted back as input: relative to the first
   * root (`docs/readme.md`, `.` for the root itself), or the absolute path for
   * the other roots (paths inside roots are not secret). Never a path outside the roots.
   */
  display: string;
}

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface EntryInfo {
  name: string;
  display: string;
  type: EntryType;
  /** Bytes (for a symlink: the length of its target text). */
  size: number;
  /** Modification time, ISO 8601. */
  modified: string;
  /** A symlink's target, as a display path, only when it resolves inside the roots. */
  target?: string;
}

export interface WalkEntry extends EntryInfo {
  /** 1 for the entries of the starting directory, 2 below them, … */
  depth: number;
}

export interface WalkOptions {
  /** Entries deeper than this are not listed (directories at this depth are listed, not entered). */
  maxDepth: number;
  /** Stop after this many entries. */
  maxEntries: number;
  signal?: AbortSignal;
}

/** What a finished walk returns (the generator's return value; `for await` ignores it). */
export interface WalkSummary {
  /** The walk stopped at maxEntries; more entries may exist. */
  entriesCapped: boolean;
  /** A non-empty directory at maxDepth was not entered. */
  depthCapped: boolean;
}

export interface ScanOptions extends WalkOptions {
  /** Read each file (up to maxFileBytes) or only list it. */
  read: boolean;
  /** Files larger than this when opened, or grown past it while read, are skipped. */
  maxFileBytes: number;
  /** Only files whose path relative to the scanned directory (`src/a.ts`) matches (picomatch, dotfiles included). */
  glob?: { pattern: string; caseSensitive: boolean };
  /** A consumer that takes no files for this long is taken as gone: the scan ends with TIMEOUT (default 60 s). */
  consumerIdleMs?: number;
}

/** A regular file below the scanned directory, verified inside a root when read. */
export interface ScannedFile {
  display: string;
  /** As in WalkEntry. */
  depth: number;
  /** Regular files the walk had met up to and including this one (those the glob left out or that were skipped too). */
  seen: number;
  /** The contents, when read: a view of a batch buffer shared with the next files (copy what must outlive the step). */
  bytes?: Buffer;
}

export interface ScanSummary extends WalkSummary {
  /** Regular files the walk met. */
  filesSeen: number;
}

export interface StatResult extends Located {
  info: EntryInfo;
  /** Birth time, ISO 8601, when the filesystem records it. */
  created?: string;
  /** Permission bits in octal (`644`, `755`, `1777`). */
  permissions: string;
  /** Hard link count. */
  links: number;
}

export interface RootInfo {
  /** The root's directory name (made unique with `-2`, `-3` … when several roots share one). */
  name: string;
  /** Its real path. */
  path: string;
}
