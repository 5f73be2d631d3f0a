/**
 * Filesystem escapes: every known way of making the filesystem pack reach
 * outside its roots — `..`, absolute paths, a sibling sharing the root's
 * prefix, symlinks to files and directories, symlinked parents on create,
 * dangling symlinks on write, swaps between check and use, hard links, NUL
 * bytes, `~`, Windows and UNC forms, NFC/NFD twins, client roots that try to
 * widen, URL-encoded traversal, very long paths, FIFOs and /proc — is refused,
 * or, where the semantics allow it, proven to stay inside.
 *
 * Each case runs on real temporary directories: a fresh `base` per case holds
 * the root(s) and a canary tree outside them (test/helpers/canary-tree.ts),
 * fingerprinted before and after — nothing outside may be created, changed,
 * removed or (where the filesystem records access times) read. No result may
 * carry the canary's marker or an absolute path outside the roots, and no
 * error message a path outside the roots that the input did not contain.
 *
 * Each case is a data row (name, roots, setup, operation, expectation) and
 * runs through every driver in DRIVERS; a driver is one way of performing an
 * operation (today: the Sandbox API; later: the fs_* tools over MCP).
 */
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpdError, type ErrorCode } from '../../src/chassis/errors.js';
import { Sandbox } from '../../src/packs/filesystem/sandbox/index.js';
import { createCanaryTree, diffSnapshots, type CanaryTree } from '../helpers/canary-tree.js';

const T = { timeout: 60_000 } as const;

// ---------------------------------------------------------------- the model

/** One case's world: `base` holds the roots and the canary. */
interface Env {
  base: string;
  /** `base/root`, the first root in most cases. */
  root: string;
  /** Absolute paths of the configured roots. */
  roots: string[];
  refuseHardLinks: boolean;
  /** The client's MCP roots (file:// URIs), when the case narrows. */
  clientRoots?: string[];
  canary: CanaryTree;
}

type Op =
  | { kind: 'read'; path: string }
  | { kind: 'stat'; path: string }
  | { kind: 'list'; path: string }
  | { kind: 'walk'; path: string }
  | { kind: 'scan'; path: string }
  | { kind: 'write'; path: string; content: string; overwrite?: boolean; createParents?: boolean }
  | { kind: 'mkdir'; path: string; parents?: boolean }
  | { kind: 'move'; from: string; to: string; overwrite?: boolean }
  | { kind: 'remove'; path: string; recursive?: boolean };

/** What an allowed operation gave, in driver-neutral form. */
interface Value {
  /** The display path of the result (read, stat, write, mkdir, move's destination, remove). */
  display?: string;
  /** read: the content. */
  content?: string;
  /** stat: the entry type; list/walk: every entry's display path; scan: every file's. */
  type?: string;
  displays?: string[];
  /** scan: each file's content. */
  contents?: string[];
  /** stat/list/walk: symlink targets shown. */
  targets?: string[];
  created?: boolean;
  removed?: number;
}

type Outcome = { ok: true; value: Value } | { ok: false; error: McpdError };

interface DriverSession {
  run(op: Op): Promise<Outcome>;
  close(): Promise<void>;
}

interface Driver {
  name: string;
  open(env: Env): Promise<DriverSession>;
}

interface Refused {
  refused: ErrorCode;
  message?: RegExp;
}
interface Allowed {
  /** Checks the value (the global leak checks run too); `run` performs further operations in the same session. */
  allowed: (value: Value, env: Env, run: (op: Op) => Promise<Outcome>) => void | Promise<void>;
}
/** Races: every outcome is either refused with one of these codes or allowed and passes `inside`. */
interface Either {
  either: ErrorCode[];
  inside: (value: Value, env: Env) => void;
}

interface Row {
  name: string;
  /** Root directory names under base (default ['root']); each is created with the inside fixture. */
  roots?: string[];
  /** Default true. */
  refuseHardLinks?: boolean;
  clientRoots?: (env: Env) => string[];
  /** Prepares the world (before the canary snapshot); may throw Unsupported to skip the case here. */
  setup?: (env: Env) => Promise<void>;
  /** Undoes what setup did that removing base cannot (mounts). */
  teardown?: (env: Env) => Promise<void>;
  op: Op | ((env: Env, iteration: number) => Op);
  /** Run the operation this many times while a swapper process attacks (see Swap). */
  race?: { swap: Swap; times: number };
  expect: Refused | Allowed | Either;
}

/** A concurrent attacker inside the root: `file` replaces `target` by a symlink to `outside` and back; `dir` swaps a directory for such a symlink. */
interface Swap {
  mode: 'file' | 'dir';
  /** Relative to the root. */
  target: string;
  /** The symlink's target (any path; usually into the canary). */
  outside: (env: Env) => string;
}

/** Thrown by a setup that cannot run here (no mount permission…): the case is skipped. */
class Unsupported extends Error {}

/** Bind-mounts `source` at `target` (root only), or throws Unsupported. */
function bindMount(source: string, target: string): void {
  try {
    execFileSync('mount', ['--bind', source, target], { stdio: 'ignore' });
  } catch {
    throw new Unsupported('bind mounts need root (CAP_SYS_ADMIN)');
  }
}

function unmount(target: string): void {
  try {
    execFileSync('umount', [target], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
}

// ---------------------------------------------------------------- drivers

async function attempt(action: () => Promise<Value>): Promise<Outcome> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (error instanceof McpdError) return { ok: false, error };
    throw error;
  }
}

const DRIVERS: Driver[] = [
  {
    name: 'Sandbox API',
    async open(env) {
      const configured = await Sandbox.create({ roots: env.roots, refuseHardLinks: env.refuseHardLinks });
      const sandbox = env.clientRoots ? configured.narrow(env.clientRoots) : configured;
      const run = (op: Op): Promise<Outcome> =>
        attempt(async () => {
          switch (op.kind) {
            case 'read': {
              const opened = await sandbox.openRead(op.path);
              try {
                return { display: opened.located.display, content: await opened.handle.readFile('utf8') };
              } finally {
                await opened.handle.close();
              }
            }
            case 'stat': {
              const stat = await sandbox.stat(op.path);
              return { display: stat.display, type: stat.info.type, targets: stat.info.target === undefined ? [] : [stat.info.target] };
            }
            case 'list': {
              const { located, entries } = await sandbox.readDir(op.path);
              return { display: located.display, displays: entries.map((entry) => entry.display), targets: entries.flatMap((entry) => (entry.target === undefined ? [] : [entry.target])) };
            }
            case 'walk': {
              const displays: string[] = [];
              const targets: string[] = [];
              for await (const entry of sandbox.walk(op.path, { maxDepth: 20, maxEntries: 1_000 })) {
                displays.push(entry.display);
                if (entry.target !== undefined) targets.push(entry.target);
              }
              return { displays, targets };
            }
            case 'scan': {
              const displays: string[] = [];
              const contents: string[] = [];
              for await (const file of sandbox.scanFiles(op.path, { maxDepth: 20, maxEntries: 1_000, read: true, maxFileBytes: 1024 * 1024 })) {
                displays.push(file.display);
                contents.push(file.bytes!.toString('utf8'));
              }
              return { displays, contents };
            }
            case 'write': {
              const written = await sandbox.writeAtomic(op.path, op.content, { overwrite: op.overwrite ?? false, createParents: op.createParents ?? false });
              return { display: written.located.display, created: written.created };
            }
            case 'mkdir': {
              const made = await sandbox.mkdir(op.path, { parents: op.parents ?? false });
              return { display: made.located.display, created: made.created };
            }
            case 'move': {
              const moved = await sandbox.move(op.from, op.to, { overwrite: op.overwrite ?? false });
              return { display: moved.to.display };
            }
            case 'remove': {
              const removed = await sandbox.remove(op.path, { recursive: op.recursive ?? false });
              return { display: removed.located.display, removed: removed.removed };
            }
          }
        });
      return { run, close: async () => configured.close() };
    },
  },
];

// ---------------------------------------------------------------- the world

const INSIDE = (name: string) => `inside: ${name}\n`;
const NFC_ROOT = 'caf\u00e9';
const NFD_TWIN = 'cafe\u0301';

/** The inside fixture of every root: plain files, and symlinks of every kind. */
async function buildRoot(env: Env, root: string): Promise<void> {
  const { base } = env;
  await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
  await writeFile(join(root, 'readme.txt'), INSIDE('readme'));
  await writeFile(join(root, 'secret.txt'), INSIDE('secret.txt of the root'));
  await writeFile(join(root, 'sub', 'inner.txt'), INSIDE('inner'));
  await writeFile(join(root, 'sub', 'deeper', 'leaf.txt'), INSIDE('leaf'));
  const links: [string, string][] = [
    ['link-inside', 'readme.txt'],
    ['link-inside-dir', 'sub'],
    ['link-out-file', '../outside/secret.txt'],
    ['link-out-abs', join(base, 'outside', 'secret.txt')],
    ['link-out-dir', '../outside/secret-dir'],
    ['link-out-dir-abs', join(base, 'outside')],
    ['link-root', '/'],
    ['link-evil', '../root-evil'],
    ['link-chain', 'link-chain-2'],
    ['link-chain-2', 'link-out-file'],
    ['link-dotdot', '..'],
    ['dangling-out', '../outside/created-by-escape.txt'],
    ['dangling-in', 'does-not-exist.txt'],
    ['link-proc', `/proc/self/root${join(base, 'outside', 'secret.txt')}`],
    ['link-loop', 'link-loop'],
    ['link-dev', '/dev/zero'],
  ];
  for (const [name, target] of links) await symlink(target, join(root, name));
}

/** Canary entries next to the roots, beyond the helper's `outside/` tree. */
async function plantNeighbours(canary: CanaryTree): Promise<void> {
  await canary.plant('root-evil/secret.txt');
  await canary.plant('ROOT/secret.txt');
  await canary.plant(`${NFD_TWIN}/secret.txt`);
  await canary.plant('outside/readme.txt');
  await canary.plant('outside/secret-dir/same.txt');
}

// ---------------------------------------------------------------- the cases

const denied = (message?: RegExp): Refused => ({ refused: 'PERMISSION_DENIED', message });
const invalid = (message?: RegExp): Refused => ({ refused: 'VALIDATION_ERROR', message });
const OUTSIDE_ROOTS = denied(/is outside the allowed roots$/);
const THROUGH_LINK = denied(/resolves outside the allowed roots/);
const LINK_TARGET = denied(/is a symbolic link whose target is missing or outside the allowed roots$/);
const readsInside = (name: string): Allowed => ({ allowed: (value) => assert.equal(value.content, INSIDE(name)) });
const read = (path: string): Op => ({ kind: 'read', path });

const ROWS: Row[] = [
  // `..` in every position
  { name: '.. alone', op: read('..'), expect: OUTSIDE_ROOTS },
  { name: '.. first', op: read('../outside/secret.txt'), expect: OUTSIDE_ROOTS },
  { name: '.. in the middle', op: read('sub/../../outside/secret.txt'), expect: OUTSIDE_ROOTS },
  { name: '.. last (listing)', op: { kind: 'list', path: 'sub/deeper/../../..' }, expect: OUTSIDE_ROOTS },
  { name: '.. with dot segments and doubled slashes', op: read('./sub/.//../..//outside/./secret.txt'), expect: OUTSIDE_ROOTS },
  { name: '.. far above /', op: read(`${'../'.repeat(64)}etc/passwd`), expect: OUTSIDE_ROOTS },
  { name: '.. out of the root and back in stays inside', op: read('../root/readme.txt'), expect: readsInside('readme') },
  {
    name: '.. after a symlinked directory is lexical (never the physical parent outside)',
    op: read('link-out-dir/../readme.txt'),
    expect: readsInside('readme'),
  },
  { name: '.. in a write', op: { kind: 'write', path: '../escaped.txt', content: 'x' }, expect: OUTSIDE_ROOTS },
  { name: '.. in a mkdir with parents', op: { kind: 'mkdir', path: 'sub/../../escaped-dir/x', parents: true }, expect: OUTSIDE_ROOTS },

  // absolute paths
  { name: 'absolute /etc/passwd', op: read('/etc/passwd'), expect: OUTSIDE_ROOTS },
  { name: 'absolute path of the canary', op: (env) => read(join(env.base, 'outside', 'secret.txt')), expect: OUTSIDE_ROOTS },
  { name: 'absolute root path with .. out of it', op: (env) => read(`${env.root}/../outside/secret.txt`), expect: OUTSIDE_ROOTS },
  { name: 'absolute / listing', op: { kind: 'list', path: '/' }, expect: OUTSIDE_ROOTS },
  { name: '/proc/self/environ', op: read('/proc/self/environ'), expect: OUTSIDE_ROOTS },
  { name: '/proc/self/cwd and /proc/self/root aliases', op: (env) => read(`/proc/self/root${env.base}/outside/secret.txt`), expect: OUTSIDE_ROOTS },
  { name: 'absolute path inside the root is fine', op: (env) => read(`${env.root}/readme.txt`), expect: readsInside('readme') },

  // a sibling sharing the root's prefix
  { name: 'sibling with the same prefix, absolute', op: (env) => read(`${env.base}/root-evil/secret.txt`), expect: OUTSIDE_ROOTS },
  { name: 'sibling with the same prefix, relative', op: read('../root-evil/secret.txt'), expect: OUTSIDE_ROOTS },
  { name: 'sibling with the same prefix, through a symlink', op: read('link-evil/secret.txt'), expect: THROUGH_LINK },
  { name: 'sibling with the same prefix, write', op: (env) => ({ kind: 'write', path: `${env.base}/root-evil/new.txt`, content: 'x' }), expect: OUTSIDE_ROOTS },
  { name: 'sibling with the same prefix, write through a symlink', op: { kind: 'write', path: 'link-evil/new.txt', content: 'x' }, expect: THROUGH_LINK },
  { name: 'sibling with the same prefix, listing through a symlink', op: { kind: 'list', path: 'link-evil' }, expect: LINK_TARGET },
  { name: 'sibling differing only in case (Linux compares case-sensitively)', op: (env) => read(`${env.base}/ROOT/secret.txt`), expect: OUTSIDE_ROOTS },

  // symlinks to files and directories outside
  { name: 'symlink to an outside file (relative target)', op: read('link-out-file'), expect: LINK_TARGET },
  { name: 'symlink to an outside file (absolute target)', op: read('link-out-abs'), expect: LINK_TARGET },
  { name: 'symlink chain ending outside', op: read('link-chain'), expect: LINK_TARGET },
  { name: 'symlink through /proc/self/root', op: read('link-proc'), expect: LINK_TARGET },
  { name: 'symlink to /dev/zero', op: read('link-dev'), expect: LINK_TARGET },
  { name: 'symlink loop', op: read('link-loop'), expect: LINK_TARGET },
  { name: 'dangling symlink (outside target) on read', op: read('dangling-out'), expect: LINK_TARGET },
  { name: 'file below a symlinked directory outside', op: read('link-out-dir/nested.txt'), expect: THROUGH_LINK },
  { name: 'file below an absolute symlinked directory outside', op: read('link-out-dir-abs/secret.txt'), expect: THROUGH_LINK },
  { name: 'file below a symlink to /', op: (env) => read(`link-root${env.base}/outside/secret.txt`), expect: THROUGH_LINK },
  { name: 'file below a symlink to ..', op: read('link-dotdot/outside/secret.txt'), expect: THROUGH_LINK },
  { name: 'listing a symlinked directory outside', op: { kind: 'list', path: 'link-out-dir' }, expect: LINK_TARGET },
  { name: 'walking a symlinked directory outside', op: { kind: 'walk', path: 'link-out-dir-abs' }, expect: LINK_TARGET },
  { name: 'stat of a symlink outside describes the link and hides its target', op: { kind: 'stat', path: 'link-out-abs' }, expect: { allowed: (value) => (assert.equal(value.type, 'symlink'), assert.deepEqual(value.targets, [])) } },
  { name: 'stat below a symlinked directory outside', op: { kind: 'stat', path: 'link-out-dir/nested.txt' }, expect: THROUGH_LINK },
  { name: 'stat of ..', op: { kind: 'stat', path: '..' }, expect: OUTSIDE_ROOTS },
  { name: 'a symlink inside the root is followed for reads', op: read('link-inside'), expect: readsInside('readme') },
  {
    name: 'listing the root shows targets only for links inside',
    op: { kind: 'list', path: '.' },
    expect: { allowed: (value) => assert.deepEqual(value.targets, ['readme.txt', 'sub']) },
  },
  {
    name: 'walking the root never enters a symlink',
    op: { kind: 'walk', path: '.' },
    expect: {
      allowed: (value) => {
        assert.ok(value.displays?.includes('sub/deeper/leaf.txt'));
        assert.ok(value.displays?.includes('link-out-dir'));
        assert.ok(!value.displays?.some((display) => display.startsWith('link-') && display.includes('/')), 'no entry below a symlink');
      },
    },
  },
  { name: 'scanning a symlinked directory outside', op: { kind: 'scan', path: 'link-out-dir-abs' }, expect: LINK_TARGET },
  {
    name: 'scanning the root reads only files inside, never through a symlink',
    op: { kind: 'scan', path: '.' },
    expect: {
      allowed: (value) => {
        assert.deepEqual(value.displays, ['readme.txt', 'secret.txt', 'sub/deeper/leaf.txt', 'sub/inner.txt']);
        assert.deepEqual(value.contents, [INSIDE('readme'), INSIDE('secret.txt of the root'), INSIDE('leaf'), INSIDE('inner')]);
      },
    },
  },
  {
    name: 'scanning skips a hard link to an outside file',
    setup: async (env) => link(join(env.base, 'outside', 'secret.txt'), join(env.root, 'hard-link.txt')),
    op: { kind: 'scan', path: '.' },
    expect: { allowed: (value) => assert.ok(!value.displays?.includes('hard-link.txt')) },
  },

  // creation through symlinked parents and onto dangling symlinks
  { name: 'write through a symlinked parent', op: { kind: 'write', path: 'link-out-dir/new.txt', content: 'x' }, expect: THROUGH_LINK },
  { name: 'write through a symlinked parent with createParents', op: { kind: 'write', path: 'link-out-dir/a/b/new.txt', content: 'x', createParents: true }, expect: THROUGH_LINK },
  { name: 'write through a symlink to ..', op: { kind: 'write', path: 'link-dotdot/escaped.txt', content: 'x' }, expect: THROUGH_LINK },
  { name: 'mkdir through a symlinked parent', op: { kind: 'mkdir', path: 'link-out-dir/new-dir' }, expect: THROUGH_LINK },
  { name: 'mkdir with parents through a symlinked parent', op: { kind: 'mkdir', path: 'link-out-dir-abs/x/y', parents: true }, expect: THROUGH_LINK },
  { name: 'write onto a dangling symlink pointing outside', op: { kind: 'write', path: 'dangling-out', content: 'x' }, expect: denied(/is a symbolic link; writing through links is refused$/) },
  { name: 'write onto a dangling symlink pointing outside, overwrite', op: { kind: 'write', path: 'dangling-out', content: 'x', overwrite: true }, expect: denied(/is a symbolic link/) },
  { name: 'write onto a symlink to an outside file, overwrite', op: { kind: 'write', path: 'link-out-file', content: 'x', overwrite: true }, expect: denied(/is a symbolic link/) },
  { name: 'mkdir onto a dangling symlink', op: { kind: 'mkdir', path: 'dangling-out' }, expect: { refused: 'CONFLICT', message: /exists and is not a directory/ } },
  { name: 'createParents onto a dangling symlink component', op: { kind: 'write', path: 'dangling-out/x.txt', content: 'x', createParents: true }, expect: { refused: 'CONFLICT', message: /exists and is not a directory/ } },
  {
    name: 'a plain write inside the root works',
    op: { kind: 'write', path: 'fresh/a/new.txt', content: 'hello', createParents: true },
    expect: {
      allowed: async (value, env) => {
        assert.deepEqual(value, { display: 'fresh/a/new.txt', created: true });
        assert.equal(await readFile(join(env.root, 'fresh', 'a', 'new.txt'), 'utf8'), 'hello');
      },
    },
  },

  // moves and deletes
  { name: 'move a file out of the root', op: { kind: 'move', from: 'readme.txt', to: '../outside/moved.txt' }, expect: OUTSIDE_ROOTS },
  { name: 'move an outside file in', op: { kind: 'move', from: '../outside/secret.txt', to: 'stolen.txt' }, expect: OUTSIDE_ROOTS },
  { name: 'move into a symlinked directory outside', op: { kind: 'move', from: 'readme.txt', to: 'link-out-dir/moved.txt' }, expect: THROUGH_LINK },
  { name: 'move from below a symlinked directory outside', op: { kind: 'move', from: 'link-out-dir/nested.txt', to: 'stolen.txt' }, expect: THROUGH_LINK },
  { name: 'move over an existing file without overwrite', op: { kind: 'move', from: 'readme.txt', to: 'sub/inner.txt' }, expect: { refused: 'CONFLICT', message: /already exists/ } },
  {
    name: 'moving a symlink moves the link, which still cannot be read through',
    op: { kind: 'move', from: 'link-out-abs', to: 'sub/moved-link' },
    expect: {
      allowed: async (value, _env, run) => {
        assert.equal(value.display, 'sub/moved-link');
        const after = await run(read('sub/moved-link'));
        assert.ok(!after.ok && after.error.code === 'PERMISSION_DENIED');
      },
    },
  },
  {
    name: 'moving over a symlink replaces the link, never its outside target',
    op: { kind: 'move', from: 'readme.txt', to: 'link-out-abs', overwrite: true },
    expect: { allowed: async (value, env) => (assert.equal(value.display, 'link-out-abs'), assert.equal(await readFile(join(env.root, 'link-out-abs'), 'utf8'), INSIDE('readme'))) },
  },
  { name: 'remove the root', op: { kind: 'remove', path: '.', recursive: true }, expect: denied(/is a root directory/) },
  { name: 'remove outside', op: { kind: 'remove', path: '../outside', recursive: true }, expect: OUTSIDE_ROOTS },
  { name: 'remove below a symlinked directory outside', op: { kind: 'remove', path: 'link-out-dir/nested.txt' }, expect: THROUGH_LINK },
  { name: 'removing a symlink to an outside directory removes only the link', op: { kind: 'remove', path: 'link-out-dir-abs', recursive: true }, expect: { allowed: (value) => assert.deepEqual(value, { display: 'link-out-dir-abs', removed: 1 }) } },
  {
    name: 'recursive remove of a tree holding symlinks outside leaves their targets',
    setup: async (env) => {
      await symlink('../../outside', join(env.root, 'sub', 'deeper', 'escape'));
      await symlink(join(env.base, 'outside', 'secret.txt'), join(env.root, 'sub', 'secret-link'));
    },
    op: { kind: 'remove', path: 'sub', recursive: true },
    expect: { allowed: (value) => assert.deepEqual(value, { display: 'sub', removed: 6 }) },
  },

  {
    name: 'recursive remove stops at a bind mount of an outside directory',
    setup: async (env) => (await mkdir(join(env.root, 'sub', 'zz-mount')), bindMount(join(env.base, 'outside', 'secret-dir'), join(env.root, 'sub', 'zz-mount'))),
    teardown: async (env) => unmount(join(env.root, 'sub', 'zz-mount')),
    op: { kind: 'remove', path: 'sub', recursive: true },
    expect: { refused: 'CONFLICT', message: /^sub\/zz-mount is a mount point; it was not removed$/ },
  },
  {
    name: 'recursive remove of a bind mount itself is refused',
    setup: async (env) => (await mkdir(join(env.root, 'mnt')), bindMount(join(env.base, 'outside', 'secret-dir'), join(env.root, 'mnt'))),
    teardown: async (env) => unmount(join(env.root, 'mnt')),
    op: { kind: 'remove', path: 'mnt', recursive: true },
    expect: { refused: 'CONFLICT', message: /^mnt is a mount point/ },
  },

  // hard links
  {
    name: 'hard link to an outside file is refused for reading',
    setup: async (env) => link(await env.canary.plant('outside/linked.txt'), join(env.root, 'hard.txt')),
    op: read('hard.txt'),
    expect: denied(/has 2 hard links/),
  },
  {
    name: 'hard link to an outside file is refused for replacing',
    setup: async (env) => link(await env.canary.plant('outside/linked.txt'), join(env.root, 'hard.txt')),
    op: { kind: 'write', path: 'hard.txt', content: 'x', overwrite: true },
    expect: denied(/has 2 hard links/),
  },
  {
    name: 'with refuseHardLinks off, replacing a hard-linked file never writes into the outside inode',
    refuseHardLinks: false,
    setup: async (env) => link(await env.canary.plant('outside/linked.txt'), join(env.root, 'hard.txt')),
    op: { kind: 'write', path: 'hard.txt', content: 'replaced', overwrite: true },
    expect: { allowed: async (value, env) => (assert.equal(value.created, false), assert.equal(await readFile(join(env.root, 'hard.txt'), 'utf8'), 'replaced')) },
  },

  // input forms
  { name: 'NUL byte', op: read('readme.txt\0.png'), expect: invalid(/NUL byte/) },
  { name: 'NUL byte percent-encoded in a file URL', op: (env) => read(`file://${env.root}/readme.txt%00.png`), expect: invalid(/NUL byte/) },
  { name: '~ alone', op: read('~'), expect: invalid(/home-directory/) },
  { name: '~/ path', op: read('~/.ssh/id_rsa'), expect: invalid(/home-directory/) },
  { name: '~user path', op: read('~root/.bashrc'), expect: invalid(/home-directory/) },
  { name: 'Windows drive with backslashes', op: read('C:\\Windows\\win.ini'), expect: invalid(/backslash/) },
  { name: 'Windows drive with slashes', op: read('C:/outside/secret.txt'), expect: invalid(/drive letter/) },
  { name: 'backslash traversal', op: read('..\\outside\\secret.txt'), expect: invalid(/backslash/) },
  { name: 'UNC share', op: read('\\\\server\\share\\secret.txt'), expect: invalid(/backslash/) },
  { name: 'UNC share with slashes', op: read('//server/share/secret.txt'), expect: invalid(/network share/) },
  { name: 'an http URL', op: read('http://127.0.0.1/readme.txt'), expect: invalid(/only file:\/\/ URLs/) },
  { name: 'a file URL with a host', op: (env) => read(`file://evil.example${env.root}/readme.txt`), expect: invalid(/names a host/) },
  { name: 'a file URL inside the root works', op: (env) => read(`file://${env.root}/readme.txt`), expect: readsInside('readme') },
  { name: 'URL-encoded .. in a file URL', op: (env) => read(`file://${env.root}/%2e%2e/outside/secret.txt`), expect: OUTSIDE_ROOTS },
  { name: 'URL-encoded slash in a file URL', op: (env) => read(`file://${env.root}/..%2Foutside%2Fsecret.txt`), expect: invalid(/encoded \//) },
  { name: 'URL encoding in a plain path is a literal name inside the root', op: read('..%2foutside%2fsecret.txt'), expect: { refused: 'NOT_FOUND', message: /^\.\.%2foutside%2fsecret\.txt does not exist$/ } },
  { name: 'control characters', op: read('readme.txt\n../../outside/secret.txt'), expect: invalid(/control characters/) },
  { name: 'a path longer than PATH_MAX', op: read('a/'.repeat(2100)), expect: invalid(/too long/) },
  { name: 'a name longer than NAME_MAX', op: read('x'.repeat(300)), expect: invalid(/longer than 255 bytes/) },
  { name: 'a long climb just under PATH_MAX', op: read(`${'../'.repeat(1300)}etc/passwd`), expect: OUTSIDE_ROOTS },
  { name: 'a deep path inside the root', op: { kind: 'write', path: `${'d/'.repeat(1000)}f.txt`, content: 'deep', createParents: true }, expect: { allowed: (value) => assert.equal(value.created, true) } },

  // Unicode twins
  {
    name: 'the NFD spelling of an NFC root names the root, never its NFD twin next to it',
    roots: [NFC_ROOT],
    op: (env) => read(`${env.base}/${NFD_TWIN}/secret.txt`),
    expect: readsInside('secret.txt of the root'),
  },
  { name: '.. into the NFD twin of the root stays in the root', roots: [NFC_ROOT], op: read(`../${NFD_TWIN}/secret.txt`), expect: readsInside('secret.txt of the root') },
  {
    name: 'NFC and NFD twins inside the root are two files, each reached by its own spelling',
    setup: async (env) => {
      await writeFile(join(env.root, '\u00fc.txt'), INSIDE('nfc'));
      await writeFile(join(env.root, 'u\u0308.txt'), INSIDE('nfd'));
    },
    op: read('u\u0308.txt'),
    expect: readsInside('nfd'),
  },

  // client roots can only narrow
  { name: 'client root file:/// does not widen (no root left)', clientRoots: () => ['file:///'], op: read('readme.txt'), expect: denied(/No directory is accessible/) },
  { name: 'client root above the configured root is ignored', clientRoots: (env) => [`file://${env.base}`], op: (env) => read(`${env.base}/outside/secret.txt`), expect: denied() },
  { name: 'client root at the prefix sibling is ignored', clientRoots: (env) => [`file://${env.base}/root-evil`], op: (env) => read(`${env.base}/root-evil/secret.txt`), expect: denied() },
  { name: 'client root with .. out of the root is ignored', clientRoots: (env) => [`file://${env.root}/sub/../../outside`], op: (env) => read(`${env.base}/outside/secret.txt`), expect: denied() },
  { name: 'client root below the root narrows: its parent is refused', clientRoots: (env) => [`file://${env.root}/sub`], op: read('../readme.txt'), expect: OUTSIDE_ROOTS },
  { name: 'client root below the root narrows: inside it works', clientRoots: (env) => [`file://${env.root}/sub`], op: read('inner.txt'), expect: readsInside('inner') },
  { name: 'client root at a symlink below the root fails closed', clientRoots: (env) => [`file://${env.root}/link-out-dir`], op: read('nested.txt'), expect: THROUGH_LINK },
  { name: 'client roots with other schemes are ignored', clientRoots: (env) => ['https://example.com/', `file://${env.root}`], op: read('readme.txt'), expect: readsInside('readme') },

  // special files
  {
    name: 'a FIFO outside, through a symlink, is refused without blocking',
    setup: async (env) => {
      execFileSync('mkfifo', [join(env.base, 'outside', 'fifo')]);
      await symlink('../outside/fifo', join(env.root, 'link-fifo'));
    },
    op: read('link-fifo'),
    expect: LINK_TARGET,
  },
  {
    name: 'a FIFO inside the root is not read',
    setup: async (env) => void execFileSync('mkfifo', [join(env.root, 'fifo')]),
    op: read('fifo'),
    expect: denied(/is not a regular file/),
  },

  // swaps between check and use (a concurrent process attacks while operations run)
  {
    name: 'race: a file swapped for a symlink to an outside file',
    setup: async (env) => writeFile(join(env.root, 'swap.txt'), INSIDE('swapped')),
    race: { swap: { mode: 'file', target: 'swap.txt', outside: (env) => join(env.base, 'outside', 'secret.txt') }, times: 1_500 },
    op: read('swap.txt'),
    expect: { either: ['PERMISSION_DENIED', 'NOT_FOUND'], inside: (value) => assert.equal(value.content, INSIDE('swapped')) },
  },
  {
    name: 'race: a parent directory swapped for a symlink to an outside directory',
    setup: async (env) => (await mkdir(join(env.root, 'swap-dir')), await writeFile(join(env.root, 'swap-dir', 'same.txt'), INSIDE('swapped'))),
    race: { swap: { mode: 'dir', target: 'swap-dir', outside: (env) => join(env.base, 'outside', 'secret-dir') }, times: 1_500 },
    op: read('swap-dir/same.txt'),
    expect: { either: ['PERMISSION_DENIED', 'NOT_FOUND'], inside: (value) => assert.equal(value.content, INSIDE('swapped')) },
  },
  {
    name: 'race: scans while a file is swapped for a symlink to an outside file',
    setup: async (env) => writeFile(join(env.root, 'swap.txt'), INSIDE('swapped')),
    race: { swap: { mode: 'file', target: 'swap.txt', outside: (env) => join(env.base, 'outside', 'secret.txt') }, times: 300 },
    op: { kind: 'scan', path: '.' },
    // The swapper's new copy may be caught while it is written (empty or partial): inside all the same.
    expect: { either: [], inside: (value) => assert.ok(value.contents?.every((content) => content.startsWith('inside: ') || INSIDE('swapped').startsWith(content)), String(value.contents)) },
  },
  {
    name: 'race: scans while a directory is swapped for a symlink to an outside directory',
    setup: async (env) => (await mkdir(join(env.root, 'swap-dir')), await writeFile(join(env.root, 'swap-dir', 'same.txt'), INSIDE('swapped'))),
    race: { swap: { mode: 'dir', target: 'swap-dir', outside: (env) => join(env.base, 'outside', 'secret-dir') }, times: 300 },
    op: { kind: 'scan', path: '.' },
    expect: { either: [], inside: (value) => assert.ok(value.contents?.every((content) => content.startsWith('inside: '))) },
  },
  {
    name: 'race: writes while the parent directory is swapped for a symlink outside',
    setup: async (env) => (await mkdir(join(env.root, 'swap-dir')), await writeFile(join(env.root, 'swap-dir', 'same.txt'), INSIDE('swapped'))),
    race: { swap: { mode: 'dir', target: 'swap-dir', outside: (env) => join(env.base, 'outside', 'secret-dir') }, times: 400 },
    op: (_env, i) => ({ kind: 'write', path: `swap-dir/new-${i}.txt`, content: 'x' }),
    expect: { either: ['PERMISSION_DENIED', 'NOT_FOUND'], inside: (value) => assert.match(value.display ?? '', /^swap-dir(\.stash)?\/new-\d+\.txt$/) },
  },
  {
    name: 'race: listings while the directory is swapped for a symlink outside',
    setup: async (env) => (await mkdir(join(env.root, 'swap-dir')), await writeFile(join(env.root, 'swap-dir', 'same.txt'), INSIDE('swapped'))),
    race: { swap: { mode: 'dir', target: 'swap-dir', outside: (env) => join(env.base, 'outside', 'secret-dir') }, times: 400 },
    op: { kind: 'list', path: 'swap-dir' },
    expect: { either: ['PERMISSION_DENIED', 'NOT_FOUND'], inside: (value) => assert.deepEqual(value.displays, [`${value.display}/same.txt`]) },
  },
  {
    name: 'race: creating directories while the parent is swapped for a symlink outside',
    setup: async (env) => (await mkdir(join(env.root, 'swap-dir')), await writeFile(join(env.root, 'swap-dir', 'same.txt'), INSIDE('swapped'))),
    race: { swap: { mode: 'dir', target: 'swap-dir', outside: (env) => join(env.base, 'outside', 'secret-dir') }, times: 400 },
    op: (_env, i) => ({ kind: 'mkdir', path: `swap-dir/made-${i}/sub`, parents: true }),
    expect: { either: ['PERMISSION_DENIED', 'NOT_FOUND', 'CONFLICT'], inside: (value) => assert.equal(value.created, true) },
  },
];

// ---------------------------------------------------------------- the swapper

const SWAPPER = `
const fs = require('fs');
const [mode, target, outside, content] = process.argv.slice(1);
let swaps = 0, stop = false;
process.on('SIGTERM', () => { stop = true; });
const link = target + '.swap-link', file = target + '.swap-file', stash = target + '.stash';
function burst() {
  for (let i = 0; i < 100; i++) {
    try {
      if (mode === 'file') {
        fs.symlinkSync(outside, link); fs.renameSync(link, target);
        fs.writeFileSync(file, content); fs.renameSync(file, target);
      } else {
        fs.renameSync(target, stash); fs.symlinkSync(outside, target);
        fs.unlinkSync(target); fs.renameSync(stash, target);
      }
      swaps++;
    } catch {}
  }
  if (stop) { process.stdout.write(String(swaps)); process.exit(0); }
  setImmediate(burst);
}
process.stdout.write('ready\\n');
burst();
`;

async function startSwapper(swap: Swap, env: Env): Promise<{ stop(): Promise<number> }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SWAPPER, swap.mode, join(env.root, swap.target), swap.outside(env), INSIDE('swapped')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () => resolve());
  });
  return {
    stop: () =>
      new Promise<number>((resolve) => {
        child.once('exit', () => resolve(Number(output.replace('ready\n', '')) || 0));
        child.kill('SIGTERM');
      }),
  };
}

// ---------------------------------------------------------------- the checks

function inputsOf(op: Op): string {
  return op.kind === 'move' ? `${op.from}\n${op.to}` : op.path;
}

/** No leaked marker, no absolute path outside the roots (unless the agent wrote it itself). */
function assertNoLeak(outcome: Outcome, op: Op, env: Env): void {
  const input = inputsOf(op);
  if (outcome.ok) {
    const text = JSON.stringify(outcome.value);
    assert.ok(!text.includes(env.canary.marker), `outside content leaked: ${text.slice(0, 300)}`);
    const displays = [outcome.value.display, ...(outcome.value.displays ?? []), ...(outcome.value.targets ?? [])].filter((display) => display !== undefined);
    for (const display of displays) {
      const absoluteInside = env.roots.some((root) => display === root || display.startsWith(`${root}/`));
      assert.ok(!display.startsWith('/') || absoluteInside, `a display path outside the roots: ${display}`);
      assert.ok(!display.split('/').includes('..'), `a display path with ..: ${display}`);
    }
  } else {
    const message = outcome.error.message;
    assert.ok(!message.includes(env.canary.marker), `outside content in an error: ${message}`);
    if (!input.includes(env.base)) assert.ok(!message.includes(env.base), `an absolute path in an error: ${message}`);
    assert.ok(!message.includes('/proc/self/fd'), `a descriptor path in an error: ${message}`);
  }
}

function assertExpected(outcome: Outcome, expect: Refused | Either, label: string): void {
  if (outcome.ok) return;
  if ('refused' in expect) {
    assert.equal(outcome.error.code, expect.refused, `${label}: ${outcome.error.code}: ${outcome.error.message}`);
    if (expect.message) assert.match(outcome.error.message, expect.message);
  } else {
    assert.ok(expect.either.includes(outcome.error.code), `${label}: unexpected ${outcome.error.code}: ${outcome.error.message}`);
  }
}

async function withEnv(row: Row, body: (env: Env) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'mcpd-escape-'));
  let env: Env | undefined;
  try {
    const rootNames = row.roots ?? ['root'];
    const canary = await createCanaryTree(base, { exclude: rootNames });
    await plantNeighbours(canary);
    env = { base, root: join(base, rootNames[0]), roots: rootNames.map((name) => join(base, name)), refuseHardLinks: row.refuseHardLinks ?? true, canary };
    for (const root of env.roots) {
      await mkdir(root);
      await buildRoot(env, root);
    }
    if (row.clientRoots) env.clientRoots = row.clientRoots(env);
    await row.setup?.(env);
    const before = await canary.snapshot();
    await body(env);
    const after = await canary.snapshot();
    assert.deepEqual(diffSnapshots(before, after), [], 'the canary tree outside the roots changed');
    assert.equal(after.hash, before.hash);
  } finally {
    if (env) await row.teardown?.(env);
    await rm(base, { recursive: true, force: true });
  }
}

async function runRow(t: TestContext, driver: Driver, row: Row): Promise<void> {
  await withEnv(row, async (env) => {
    const session = await driver.open(env);
    try {
      const opOf = (i: number) => (typeof row.op === 'function' ? row.op(env, i) : row.op);
      if (row.race) {
        assert.ok('either' in row.expect, 'race rows expect `either`');
        const expect = row.expect as Either;
        const swapper = await startSwapper(row.race.swap, env);
        const tally = { allowed: 0, refused: 0 };
        try {
          for (let i = 0; i < row.race.times; i++) {
            const op = opOf(i);
            const outcome = await session.run(op);
            assertNoLeak(outcome, op, env);
            assertExpected(outcome, expect, `${op.kind} #${i}`);
            if (outcome.ok) {
              expect.inside(outcome.value, env);
              tally.allowed++;
            } else tally.refused++;
          }
        } finally {
          const swaps = await swapper.stop();
          t.diagnostic(`${swaps} swaps; ${tally.allowed} allowed, ${tally.refused} refused`);
          assert.ok(swaps > 0, 'the swapper ran');
        }
        assert.ok(tally.allowed + tally.refused === row.race.times);
        return;
      }
      const op = opOf(0);
      const outcome = await session.run(op);
      assertNoLeak(outcome, op, env);
      if ('allowed' in row.expect) {
        assert.ok(outcome.ok, `expected success, got ${outcome.ok ? '' : `${outcome.error.code}: ${outcome.error.message}`}`);
        await row.expect.allowed(outcome.value, env, session.run);
      } else {
        assert.ok(!outcome.ok, `expected a refusal, got ${JSON.stringify(outcome.ok && outcome.value).slice(0, 300)}`);
        assertExpected(outcome, row.expect as Refused, op.kind);
      }
    } finally {
      await session.close();
    }
  });
}

for (const driver of DRIVERS) {
  describe(`filesystem escapes: ${driver.name}`, () => {
    test('the canary tree catches what it must (self-test)', T, async (t) => {
      const base = await mkdtemp(join(tmpdir(), 'mcpd-canary-'));
      try {
        const canary = await createCanaryTree(base, { exclude: ['root'] });
        await mkdir(join(base, 'root'));
        const before = await canary.snapshot();
        assert.deepEqual(diffSnapshots(before, await canary.snapshot()), [], 'snapshots are stable');
        await writeFile(join(base, 'root', 'inside.txt'), 'inside changes are not the canary');
        assert.deepEqual(diffSnapshots(before, await canary.snapshot()), []);
        await writeFile(join(base, 'outside', 'secret-dir', 'escaped.txt'), 'x');
        assert.ok(diffSnapshots(before, await canary.snapshot()).includes('created outside/secret-dir/escaped.txt'));
        await rm(join(base, 'outside', 'secret-dir', 'escaped.txt'));
        const second = await canary.snapshot();
        await writeFile(join(base, 'outside', 'private.txt'), `${canary.marker} changed`);
        assert.match(diffSnapshots(second, await canary.snapshot()).join('\n'), /^changed outside\/private\.txt: /);
        const third = await canary.snapshot();
        if (canary.tracksReads) {
          await readFile(join(base, 'outside', 'secret.txt'));
          assert.match(diffSnapshots(third, await canary.snapshot()).join('\n'), /^changed outside\/secret\.txt: .* READ$/);
        } else {
          t.diagnostic('reads are not tracked on this filesystem (noatime, or O_NOATIME refused)');
        }
      } finally {
        await rm(base, { recursive: true, force: true });
      }
    });

    for (const row of ROWS) {
      test(row.name, T, async (t) => {
        try {
          await runRow(t, driver, row);
        } catch (error) {
          if (!(error instanceof Unsupported)) throw error;
          t.skip(error.message);
        }
      });
    }

  });
}

test('without a Linux /proc the sandbox refuses to start (fails closed)', T, async (t) => {
  // A private mount namespace where /proc is an empty tmpfs (root only; skipped elsewhere).
  const dir = await mkdtemp(join(tmpdir(), 'mcpd-noproc-'));
  try {
    const script = join(dir, 'start.mts');
    const entry = join(process.cwd(), 'src/packs/filesystem/sandbox/index.ts');
    await writeFile(
      script,
      `import { Sandbox } from ${JSON.stringify(entry)};\n` +
        `try { await Sandbox.create({ roots: [${JSON.stringify(dir)}], refuseHardLinks: true }); console.log('STARTED'); }\n` +
        `catch (error) { console.log(error.code + ': ' + error.message); }\n`,
    );
    const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' });
    if (probe.status !== 0) return t.skip('unshare --mount needs root');
    for (const setup of ['mount -t tmpfs none /proc', 'umount -l /proc']) {
      const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${setup} && exec "$0" --import tsx "$1"`, process.execPath, script], { encoding: 'utf8' });
      assert.match(run.stdout, /^UNAVAILABLE: The filesystem sandbox needs Linux with \/proc mounted/, `${setup}: ${run.stdout}${run.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('at least 30 escape cases are covered', () => {
  assert.ok(ROWS.length >= 30, `${ROWS.length} rows`);
});
