/**
 * A private, throwaway PostgreSQL cluster for tests that must stop and start
 * the database itself (the shared server on 127.0.0.1:5432 is never touched):
 * `initdb` into a fresh temporary directory, then `postgres` in the foreground
 * as a child of the test process, on a free loopback port, with trust auth,
 * its unix socket in that directory, fsync off and small buffers.
 *
 * PostgreSQL refuses to run as root. When the tests run as root (CI does), the
 * directory is handed to the `postgres` system user and initdb/postgres are
 * spawned with that user's uid/gid (what `runuser -u postgres` would do,
 * without a wrapper process between us and the postmaster, so the postmaster's
 * pid is the child's pid and signals reach it directly). Otherwise they run as
 * the current user.
 *
 * The binaries come from MCPD_TEST_PG_BIN, else the newest
 * /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`.
 *
 * Cleanup: `cleanup()` (call it in `after`) stops the cluster (immediate, then
 * SIGKILL) and removes the directory; a process `exit` hook kills any cluster
 * still running and removes its directory; and creating a cluster first removes
 * clusters left behind by test processes that died without either (their
 * postmaster is killed only after /proc confirms it is a postgres serving that
 * very directory).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

const SIGNAL_OF: Record<ShutdownMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };
const DIR_PREFIX = 'mcpd-pg-';
const OWNER_FILE = 'owner.pid';
const LOG_LIMIT = 64 * 1024;

export interface PrivatePostgres {
  /** The loopback TCP port (kept across restarts, so a DSN stays valid). */
  readonly port: number;
  /** The temporary directory: data in `data/`, the unix socket beside it. */
  readonly dir: string;
  /** The major version of the binaries, e.g. "15". */
  readonly version: string;
  /** A DSN for `database` (default `postgres`) as the superuser `postgres`, trust auth. */
  url(database?: string): string;
  /** Whether the postmaster is running. */
  readonly running: boolean;
  /** Starts the postmaster (after `stop`) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it: `fast` (default: sessions are terminated), `immediate` (no clean shutdown; crash recovery at the next start) or `smart`. */
  stop(mode?: ShutdownMode): Promise<void>;
  restart(mode?: ShutdownMode): Promise<void>;
  /** One statement on a short-lived connection (superuser). */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** The server's log output (the last 64 KiB), for failure messages. */
  log(): string;
  /** Kills the cluster if it runs and removes the directory. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /** How long a start may take before it fails (default 20 s). */
  startTimeoutMs?: number;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { child, dir } of live) {
      // Immediate shutdown, not SIGKILL: the postmaster still removes its System V shared memory segment as it exits.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    }
    live.clear();
  });
}

/** The directory of initdb/postgres/pg_ctl and its major version. */
export function findPostgresBin(): { bin: string; version: string } {
  const fromEnv = process.env.MCPD_TEST_PG_BIN;
  const versionOf = (bin: string) => {
    const out = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
    return /(\d+)(?:\.\d+)?/.exec(out.stdout ?? '')?.[1] ?? 'unknown';
  };
  const usable = (bin: string) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'));
  if (fromEnv) {
    if (!usable(fromEnv)) throw new Error(`MCPD_TEST_PG_BIN=${fromEnv} has no initdb and postgres`);
    return { bin: fromEnv, version: versionOf(fromEnv) };
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name) && usable(join(root, name, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return { bin: join(root, versions[0], 'bin'), version: versions[0] };
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const bin = config.status === 0 ? config.stdout.trim() : '';
  if (bin && usable(bin)) return { bin, version: versionOf(bin) };
  throw new Error('No PostgreSQL server binaries found (looked in MCPD_TEST_PG_BIN, /usr/lib/postgresql/<version>/bin, pg_config --bindir)');
}

/** The uid/gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves (undefined). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' });
  const fields = entry.status === 0 ? entry.stdout.trim().split(':') : [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error('Running as root, and there is no `postgres` system user to run a private PostgreSQL cluster as (PostgreSQL refuses to run as root)');
  }
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes clusters whose owning test process is gone (killed before its cleanup ran). */
function reapOrphans(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base).filter((name) => name.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      const owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
      if (!Number.isInteger(owner) || isAlive(owner)) continue;
      const data = join(dir, 'data');
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Only a process that is provably that cluster's postmaster is killed (pids get reused).
      if (Number.isInteger(postmaster) && postmaster > 0) {
        const cmdline = readFileSync(`/proc/${postmaster}/cmdline`, 'utf8').split('\0');
        if (cmdline.some((arg) => arg.endsWith('postgres')) && cmdline.includes(data)) {
          // Immediate shutdown (the postmaster removes its shared memory), SIGKILL if it is still there after 3 s.
          process.kill(postmaster, 'SIGQUIT');
          const deadline = Date.now() + 3_000;
          while (isAlive(postmaster) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
          if (isAlive(postmaster)) process.kill(postmaster, 'SIGKILL');
        }
      }
    } catch {
      // No owner file (not ours, or still being created), no postmaster.pid or no such process: nothing to kill.
      if (!existsSync(join(dir, OWNER_FILE))) continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a binary to completion as the cluster's user; rejects with its output on failure. */
function run(file: string, args: string[], user: { uid: number; gid: number } | undefined, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...user, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** initdb into a fresh temporary directory and start the cluster on a free loopback port. */
export async function createPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const { bin, version } = findPostgresBin();
  const user = runAs();
  // /tmp, not a TMPDIR under /root, which the postgres user could not traverse.
  const base = user ? '/tmp' : tmpdir();
  reapOrphans(base);
  installExitHook();
  const dir = mkdtempSync(join(base, DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const data = join(dir, 'data');
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let entry: { child: ChildProcess; dir: string } | undefined;
  let logText = '';
  let removed = false;

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: 40,
    // Dynamic shared memory in the data directory: nothing left in /dev/shm if the cluster is killed.
    dynamic_shared_memory_type: 'mmap',
    huge_pages: 'off',
    ...options.settings,
  };

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  async function connectOnce(): Promise<boolean> {
    const client = new pg.Client({ connectionString: url(), connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function spawnPostmaster(): Promise<'ready' | 'port-taken'> {
    const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
    const postmaster = spawn(join(bin, 'postgres'), args, {
      ...user,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = postmaster;
    entry = { child: postmaster, dir };
    live.add(entry);
    const append = (chunk: Buffer) => {
      logText = (logText + chunk.toString('utf8')).slice(-LOG_LIMIT);
    };
    postmaster.stdout!.on('data', append);
    postmaster.stderr!.on('data', append);
    // A cluster someone forgot to clean up must not keep the test process alive (the exit hook kills it).
    postmaster.unref();
    (postmaster.stdout as unknown as { unref?: () => void }).unref?.();
    (postmaster.stderr as unknown as { unref?: () => void }).unref?.();
    const thisEntry = entry;
    exited = new Promise<void>((resolve) => {
      postmaster.once('error', (error) => {
        logText += `\nspawn failed: ${error.message}`;
        resolve();
      });
      postmaster.once('exit', () => {
        live.delete(thisEntry);
        resolve();
      });
    });
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (postmaster.exitCode !== null || postmaster.signalCode !== null) {
        await exited;
        return /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(logText) ? 'port-taken' : 'ready';
      }
      if (await connectOnce()) return 'ready';
      await sleep(50);
    }
    postmaster.kill('SIGKILL');
    await exited;
    throw new Error(`PostgreSQL did not accept connections within ${startTimeoutMs} ms; log:\n${logText}`);
  }

  async function start(): Promise<void> {
    if (removed) throw new Error('the private cluster was cleaned up');
    if (running()) return;
    const portFixed = port !== 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!portFixed) port = await freePort();
      const outcome = await spawnPostmaster();
      if (running()) return;
      if (outcome === 'port-taken' && !portFixed) continue;
      break;
    }
    throw new Error(`PostgreSQL exited during start (port ${port}); log:\n${logText}`);
  }

  async function stop(mode: ShutdownMode = 'fast'): Promise<void> {
    if (!running()) return;
    const postmaster = child!;
    postmaster.kill(SIGNAL_OF[mode]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      postmaster.kill('SIGKILL');
      await exited;
      throw new Error(`PostgreSQL did not stop (${mode}) within 15 s and was killed; log:\n${logText}`);
    }
  }

  async function cleanup(): Promise<void> {
    if (removed) return;
    try {
      if (running()) await stop('immediate').catch(() => {});
      if (running()) {
        child!.kill('SIGKILL');
        await exited;
      }
    } finally {
      removed = true;
      if (entry) live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  try {
    if (user) chownSync(dir, user.uid, user.gid);
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'], user, 60_000);
    await start();
  } catch (error) {
    await cleanup();
    throw error;
  }

  return {
    get port() {
      return port;
    },
    dir,
    version,
    url,
    get running() {
      return running();
    },
    start,
    stop,
    restart: async (mode?: ShutdownMode) => {
      await stop(mode);
      await start();
    },
    query: async (sql, params, database) => {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5_000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end().catch(() => {});
      }
    },
    log: () => logText,
    cleanup,
  };
}
