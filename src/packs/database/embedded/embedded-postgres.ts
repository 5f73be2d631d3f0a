/**
 * The embedded database: PGlite in a worker thread, reached by the `pg`
 * driver through an in-memory duplex stream instead of a socket — so the same
 * pool, cursor, transaction and error code serve it as a real PostgreSQL.
 *
 * What differs from a server, and how it is made up for:
 * - PGlite is one backend: the pool gets one connection, and each new
 *   connection starts from a clean session (the worker rolls back and
 *   discards what the previous one left).
 * - It cannot interrupt itself (no statement_timeout, no pg_cancel_backend):
 *   a statement past its deadline, or a cancelled one, is stopped by
 *   terminating the thread; the caller gets SQLSTATE 57014 as from a server,
 *   and the next connection starts a fresh thread on the same data directory.
 * - Without a configured data directory the data lives in a temporary one,
 *   created and seeded with the demo shop at start and removed at stop.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EMBEDDED_FAILURE } from '../errors.js';
import type { FromWorker, ToWorker } from './messages.js';

export interface EmbeddedOptions {
  /** Keep the data here (created and seeded when empty); a temporary directory otherwise. */
  dataDir?: string;
  /** Load the demo shop into a new data directory. */
  seed: boolean;
  /** Called when the database thread is up (for the log). */
  onReady?: (startMs: number) => void;
  /** Called when the database thread had to be stopped or failed (for the log). */
  onRestart?: (reason: string) => void;
  /** Called with the detail of a failure to start or a failure of the thread (for the log only). */
  onFailure?: (detail: string) => void;
}

const TEMP_PREFIX = 'mcpd-pglite-';


/**
 * The worker's file: beside this one (the library build), beside the bundled
 * CLI, or — when this module runs from TypeScript sources (tests under tsx) —
 * the built one in dist/, because Node 20 cannot start a worker thread from a
 * TypeScript file.
 */
function workerFile(): string {
  const candidates = ['./worker.js', '../pglite-worker.js', './pglite-worker.js', '../../../../dist/packs/database/embedded/worker.js'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error('The embedded database worker is missing from this installation');
  return found;
}

/** Temporary data directories of processes that died without removing theirs. */
function removeStaleTemporaryDirectories(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^mcpd-pglite-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

function initialise(file: string, dataDir: string, seed: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(file, ['init', dataDir, seed ? 'seed' : 'empty'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`The embedded database could not be created: ${stderr.trim() || `exit ${code}`}`))));
  });
}

function failure(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export class EmbeddedPostgres {
  private dataDir: string | undefined;
  private temporary = false;
  private prepared: Promise<void> | undefined;
  private running: Promise<Worker> | undefined;
  private readonly streams = new Map<number, EmbeddedStream>();
  private nextId = 1;
  private closed = false;
  private startFailure: Error | undefined;
  /** A terminated thread's exit: the next one must not open the data directory before the old one let go. */
  private stopping: Promise<void> = Promise.resolve();

  constructor(private readonly options: EmbeddedOptions) {}

  /** Creates (and seeds) the data directory if needed and starts the thread; connections do this on demand. */
  async start(): Promise<void> {
    await this.worker();
  }

  /**
   * Readiness: fails only when the last start failed. Not started yet is
   * ready (the first call starts it), and a busy database is not pinged —
   * its single connection may be serving a long query.
   */
  check(): void {
    if (this.startFailure) throw this.startFailure;
  }

  /** For `pg`'s `stream` option: a fresh connection to the embedded database. */
  readonly stream = (): Duplex => new EmbeddedStream(this, this.nextId++);

  /** Stops whatever the database is doing: its thread is terminated and the next connection starts another. */
  interrupt(reason: 'timeout' | 'cancelled'): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const message = reason === 'timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request';
    this.dropConnections(failure(message, '57014'));
    this.options.onRestart?.(reason);
    this.stopping = running.then((worker) => worker.terminate()).then(
      () => {},
      () => {},
    );
  }

  /** A statement deadline the database cannot keep itself; returns its disarm. */
  deadline(timeoutMs: number): () => void {
    const timer = setTimeout(() => this.interrupt('timeout'), timeoutMs);
    timer.unref();
    return () => clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = this.running;
    this.running = undefined;
    this.dropConnections(failure('The embedded database was shut down', '57P01'));
    await running?.then((worker) => worker.terminate()).catch(() => {});
    await this.prepared?.catch(() => {});
    if (this.temporary && this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @internal — used by EmbeddedStream */
  worker(): Promise<Worker> {
    if (this.closed) return Promise.reject(failure('The embedded database was shut down', '57P01'));
    this.running ??= this.spawn();
    return this.running;
  }

  /** @internal */
  attach(stream: EmbeddedStream): void {
    this.streams.set(stream.id, stream);
  }

  /** @internal */
  detach(stream: EmbeddedStream): void {
    this.streams.delete(stream.id);
  }

  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const file = workerFile();
      if (this.options.dataDir) {
        this.dataDir = this.options.dataDir;
        mkdirSync(this.dataDir, { recursive: true });
        if (!existsSync(join(this.dataDir, 'PG_VERSION'))) await initialise(file, this.dataDir, this.options.seed);
        return;
      }
      removeStaleTemporaryDirectories();
      this.dataDir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
      this.temporary = true;
      await initialise(file, this.dataDir, this.options.seed);
    })();
    return this.prepared;
  }

  private async spawn(): Promise<Worker> {
    const began = Date.now();
    try {
      await this.prepare();
    } catch (error) {
      // A failed preparation may be retried by a later connection (a full disk freed, say).
      this.prepared = undefined;
      this.running = undefined;
      throw (this.startFailure = this.startError(error instanceof Error ? error.message : String(error)));
    }
    await this.stopping;
    const worker = new Worker(workerFile(), { workerData: { mode: 'serve', dataDir: this.dataDir } });
    const started = new Promise<Worker>((resolve, reject) => {
      let up = false;
      const fail = (error: Error) => {
        if (!up) reject((this.startFailure = error));
        this.lost(worker, error.message);
      };
      worker.on('message', (message: FromWorker) => {
        if (message.op === 'data') this.streams.get(message.id)?.receive(message.bytes);
        else if (message.op === 'ready') {
          up = true;
          this.startFailure = undefined;
          this.options.onReady?.(Date.now() - began);
          resolve(worker);
        } else fail(this.startError(message.message));
      });
      worker.once('error', (error) => fail(this.startError(error.message)));
      worker.once('exit', (code) => fail(failure(`The embedded database stopped (exit ${code})`, '57P01')));
    });
    started.catch(() => {});
    return started;
  }

  /**
   * Why the database could not start or failed goes to the log (it may name paths of this machine);
   * callers get a fixed message under a code of mcpd's own (errors.ts), never the detail.
   */
  private startError(detail: string): Error {
    this.options.onFailure?.(detail);
    return failure('The embedded database could not start or failed', EMBEDDED_FAILURE);
  }

  /** The thread failed or died on its own (not through interrupt or close): drop its connections, start afresh next time. */
  private lost(worker: Worker, reason: string): void {
    this.stopping = worker.terminate().then(
      () => {},
      () => {},
    );
    if (!this.running) return;
    void this.running.then((current) => {
      if (current !== worker) return;
      this.running = undefined;
      this.dropConnections(failure('Connection terminated: the embedded database stopped', 'ECONNRESET'));
      this.options.onRestart?.(reason);
    }, () => (this.running = undefined));
  }

  private dropConnections(error: Error): void {
    for (const stream of [...this.streams.values()]) stream.destroy(error);
    this.streams.clear();
  }

  /** @internal */
  post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message, message.op === 'data' ? [message.bytes.buffer as ArrayBuffer] : []);
  }
}

/** The socket-shaped end of one connection, as `pg` drives a net.Socket. */
class EmbeddedStream extends Duplex {
  private worker: Worker | undefined;

  constructor(
    private readonly database: EmbeddedPostgres,
    readonly id: number,
  ) {
    super();
  }

  connect(): this {
    this.database
      .worker()
      .then((worker) => {
        if (this.destroyed) return;
        this.worker = worker;
        this.database.attach(this);
        this.database.post(worker, { op: 'open', id: this.id });
        this.emit('connect');
      })
      .catch((error: Error) => this.destroy(error));
    return this;
  }

  receive(bytes: Uint8Array): void {
    this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.worker) return callback(failure('Connection terminated: not connected to the embedded database', 'ECONNRESET'));
    // A copy the worker can own: `chunk` may be a slice of a shared pool.
    this.database.post(this.worker, { op: 'data', id: this.id, bytes: new Uint8Array(chunk) });
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.worker) this.database.post(this.worker, { op: 'close', id: this.id });
    this.database.detach(this);
    callback(error);
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
