/**
 * `/proc/self/fd`: the kernel's answer to "what did I really open?".
 *
 * - `readlink /proc/self/fd/<fd>` gives the current path of the file an open
 *   descriptor refers to (however it was reached: symlinks, `..`, bind
 *   mounts), so a containment check on it has no check-then-use gap.
 * - `/proc/self/fd/<dirfd>/<name>` looks `name` up inside the directory the
 *   descriptor holds, like `openat(dirfd, name)` (Node has no *at calls):
 *   creating, renaming or deleting there acts on that very directory even if
 *   its path is swapped for a symlink meanwhile.
 * - `open("/proc/self/fd/<fd>")` re-opens exactly the file an `O_PATH`
 *   descriptor refers to, with real access modes.
 *
 * Linux only. `probeProcFd` runs at start and refuses (UNAVAILABLE) when this
 * is not a Linux procfs: without it nothing could be verified, so the sandbox
 * fails closed rather than falling back to path checks.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { open, readFile, readlink, statfs, type FileHandle } from 'node:fs/promises';
import { McpdError } from '../../../chassis/errors.js';

const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * O_PATH: a descriptor that locates a file without opening it (no device
 * open, no blocking FIFO, no read or write access). Not in `fs.constants`;
 * 0o10000000 on every architecture Node supports on Linux (x64, arm, arm64,
 * ppc64, s390x, riscv64, loong64; only alpha, parisc and sparc differ). Where
 * unknown it is 0: the first open is then an O_RDONLY|O_NONBLOCK open, still
 * verified before any byte is read.
 */
const KNOWN_O_PATH_ARCHES = new Set(['x64', 'arm', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'ia32']);
export const O_PATH = process.platform === 'linux' && KNOWN_O_PATH_ARCHES.has(process.arch) ? 0o10000000 : 0;

export const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY } = constants;

/** Flags of a descriptor used only to locate and stat a node (never read). */
export const LOCATE_FLAGS = O_PATH | O_RDONLY | O_NONBLOCK | O_NOCTTY;

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** `name` (one component) inside the directory open as `dirFd`. */
export function atPath(dirFd: number, name: string): string {
  return `/proc/self/fd/${dirFd}/${name}`;
}

const DELETED = Buffer.from(' (deleted)');

/**
 * The path of what `handle` refers to, as the kernel's bytes. A file unlinked
 * since it was opened has ` (deleted)` appended by the kernel: that is
 * recognised (a file really named so is told apart by its inode) and
 * reported as undefined.
 */
export async function kernelPathOf(handle: FileHandle, stats?: Stats): Promise<Buffer | undefined> {
  const path = await readlink(fdPath(handle.fd), { encoding: 'buffer' });
  if (path[0] !== 0x2f) return undefined; // not a path in our mount namespace (anon inode, "(unreachable)/…")
  if (endsDeleted(path)) {
    const own = stats ?? (await handle.stat());
    if (own.nlink === 0) return undefined;
    // Either a file named "x (deleted)" or this link of a multiply-linked file was removed: ask the path.
    try {
      const named = await open(path, LOCATE_FLAGS | O_NOFOLLOW);
      try {
        const other = await named.stat();
        if (other.dev !== own.dev || other.ino !== own.ino) return undefined;
      } finally {
        await named.close();
      }
    } catch {
      return undefined;
    }
  }
  return path;
}

function endsDeleted(path: Buffer): boolean {
  return path.length > DELETED.length && path.subarray(path.length - DELETED.length).equals(DELETED);
}

/** `kernelPathOf` of a raw descriptor with its fstat, synchronously: the scanner thread's form (scan-tree.ts). */
export function kernelPathOfSync(fd: number, stats: Stats): Buffer | undefined {
  const path = readlinkSync(fdPath(fd), { encoding: 'buffer' });
  if (path[0] !== 0x2f) return undefined;
  if (!endsDeleted(path)) return path;
  if (stats.nlink === 0) return undefined;
  try {
    const named = openSync(path, LOCATE_FLAGS | O_NOFOLLOW);
    try {
      const other = fstatSync(named);
      return other.dev === stats.dev && other.ino === stats.ino ? path : undefined;
    } finally {
      closeSync(named);
    }
  } catch {
    return undefined;
  }
}

/**
 * The mount an open descriptor is on (`mnt_id` in `/proc/self/fdinfo`, Linux
 * 3.15+), which tells a bind mount apart even on the same device; the device
 * number where the kernel does not say.
 */
export async function mountOf(handle: FileHandle, stats: Stats): Promise<string> {
  try {
    const id = /^mnt_id:\s*(\d+)$/m.exec(await readFile(`/proc/self/fdinfo/${handle.fd}`, 'utf8'))?.[1];
    if (id !== undefined) return `mnt:${id}`;
  } catch {
    // fall through to the device number
  }
  return `dev:${stats.dev}`;
}

/**
 * Refuses to start unless `/proc/self/fd` is a Linux procfs that reports the
 * path of an opened directory (`/`).
 */
export async function probeProcFd(): Promise<void> {
  const unavailable = (why: string, cause?: unknown) =>
    new McpdError('UNAVAILABLE', `The filesystem sandbox needs Linux with /proc mounted to verify what it opens (${why}); refusing to serve files`, { cause });
  if (process.platform !== 'linux') throw unavailable(`this is ${process.platform}`);
  try {
    const fs = await statfs('/proc/self/fd');
    if (fs.type !== PROC_SUPER_MAGIC) throw unavailable('/proc is not a procfs');
  } catch (error) {
    if (error instanceof McpdError) throw error;
    throw unavailable('/proc/self/fd is missing', error);
  }
  const handle = await open('/', O_RDONLY | O_DIRECTORY);
  try {
    const reported = await readlink(fdPath(handle.fd));
    if (reported !== '/') throw unavailable('/proc/self/fd does not report opened paths as expected');
  } catch (error) {
    if (error instanceof McpdError) throw error;
    throw unavailable('/proc/self/fd cannot be read', error);
  } finally {
    await handle.close();
  }
}
