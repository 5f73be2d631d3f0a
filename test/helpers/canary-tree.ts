/**
 * A canary tree: files and directories OUTSIDE the sandbox roots, fingerprinted
 * before and after an attack so that a test can prove nothing there was
 * created, changed, removed — or read.
 *
 * `createCanaryTree(base, { exclude })` fills `base/outside/` with secrets
 * (every file's content holds `marker`), and `snapshot()` fingerprints all of
 * `base` except the top-level names in `exclude` (the roots): every entry's
 * name, type, mode, size, mtime, content hash, symlink target and (for
 * directories) link count,
 * so anything a test plants next to the roots (`plant`) is canary too.
 *
 * Reads are caught through access times: every canary file gets an access
 * time in 2001, which the kernel moves to "now" on the first read under
 * `relatime` or `strictatime`; the snapshot hashes files with O_NOATIME so
 * that it does not touch them itself. `tracksReads` says whether this works
 * here (a `noatime` mount, or O_NOATIME refused, turns it off; the rest of
 * the fingerprint still holds). Directory listings are not tracked this way
 * (listing a directory to fingerprint it moves its access time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const OLD_ATIME = new Date('2001-01-01T00:00:00Z');
const READ_AFTER = OLD_ATIME.getTime() + 86_400_000;

export interface CanarySnapshot {
  hash: string;
  /** Relative path → fingerprint line. */
  entries: Map<string, string>;
}

export interface CanaryTree {
  /** The directory that holds the canary and the roots. */
  readonly base: string;
  /** `base/outside`, the canary directory proper. */
  readonly outside: string;
  /** A random string inside every canary file: finding it in a result means outside content leaked. */
  readonly marker: string;
  /** Whether reading a canary file changes the snapshot (see the module comment). */
  readonly tracksReads: boolean;
  /** Writes a canary file at `relative` (to base; parents made) with the marker in it; returns its absolute path. */
  plant(relative: string, content?: string, mode?: number): Promise<string>;
  /** Fingerprints everything under base except the excluded top-level names. */
  snapshot(): Promise<CanarySnapshot>;
}

/** What differs between two snapshots, one line per entry (empty when equal). */
export function diffSnapshots(before: CanarySnapshot, after: CanarySnapshot): string[] {
  const lines: string[] = [];
  for (const [path, line] of before.entries) {
    const now = after.entries.get(path);
    if (now === undefined) lines.push(`removed ${path}`);
    else if (now !== line) lines.push(`changed ${path}: ${line} -> ${now}`);
  }
  for (const path of after.entries.keys()) if (!before.entries.has(path)) lines.push(`created ${path}`);
  return lines;
}

async function ageAccessTime(path: string): Promise<void> {
  const stats = await lstat(path);
  await utimes(path, OLD_ATIME, stats.mtime);
}

/** Whether a read moves the access time here and O_NOATIME is allowed. */
async function probeReadTracking(directory: string): Promise<boolean> {
  const probe = join(directory, `.canary-probe-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, 'probe');
    await ageAccessTime(probe);
    const quiet = await open(probe, constants.O_RDONLY | constants.O_NOATIME);
    await quiet.readFile();
    await quiet.close();
    if ((await lstat(probe)).atimeMs > READ_AFTER) return false;
    await readFile(probe);
    return (await lstat(probe)).atimeMs > READ_AFTER;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

async function contentHash(path: string, quiet: boolean): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (quiet ? constants.O_NOATIME : 0));
  try {
    return createHash('sha256').update(await handle.readFile()).digest('hex').slice(0, 16);
  } finally {
    await handle.close();
  }
}

export async function createCanaryTree(base: string, options: { exclude: readonly string[] }): Promise<CanaryTree> {
  const marker = `CANARY-${randomBytes(8).toString('hex')}`;
  const outside = join(base, 'outside');
  const tracksReads = await probeReadTracking(base);
  const excluded = new Set(options.exclude);

  async function plant(relative: string, content = `${marker} ${relative}\n`, mode = 0o644): Promise<string> {
    const path = join(base, relative);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content.includes(marker) ? content : `${marker} ${content}`);
    await chmod(path, mode);
    await ageAccessTime(path);
    return path;
  }

  await plant('outside/secret.txt');
  await plant('outside/private.txt', undefined, 0o600);
  await plant('outside/run.sh', undefined, 0o755);
  await plant('outside/secret-dir/nested.txt');
  await plant('outside/secret-dir/deep/deeper.txt');
  await mkdir(join(outside, 'empty-dir'));
  await symlink('secret.txt', join(outside, 'link-to-secret'));

  async function fingerprint(relative: string, entries: Map<string, string>): Promise<void> {
    const path = join(base, relative);
    const stats = await lstat(path, { bigint: true });
    // No link count for files: removing or replacing a hard link inside a root legitimately changes it.
    const common = `mode=${stats.mode.toString(8)} size=${stats.size} mtime=${stats.mtimeNs}${stats.isDirectory() ? ` nlink=${stats.nlink}` : ''}`;
    if (stats.isSymbolicLink()) {
      entries.set(relative, `symlink ${common} -> ${await readlink(path)}`);
    } else if (stats.isFile()) {
      const read = tracksReads && stats.atimeMs > BigInt(READ_AFTER) ? ' READ' : '';
      entries.set(relative, `file ${common} sha=${await contentHash(path, tracksReads)}${read}`);
    } else if (stats.isDirectory()) {
      entries.set(relative, `dir ${common}`);
      for (const name of (await readdir(path)).sort()) {
        if (relative === '.' && excluded.has(name)) continue;
        await fingerprint(relative === '.' ? name : `${relative}/${name}`, entries);
      }
    } else {
      entries.set(relative, `other ${common}`);
    }
  }

  async function snapshot(): Promise<CanarySnapshot> {
    const entries = new Map<string, string>();
    await fingerprint('.', entries);
    const hash = createHash('sha256');
    for (const [path, line] of entries) hash.update(`${path}\0${line}\n`);
    return { hash: hash.digest('hex'), entries };
  }

  return { base, outside, marker, tracksReads, plant, snapshot };
}
