/**
 * Scanner threads (scan-worker.ts): at most `size` scans run at once, further
 * ones wait their turn (cancellable). A thread is started on first need and
 * kept for the next scan (starting one costs tens of milliseconds); an idle
 * one ends after IDLE_MS. Idle threads do not keep the process alive; a
 * thread with a scan in progress does, so that whoever awaits it gets its
 * answer.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { McpdError } from '../../../chassis/errors.js';
import type { ScanJob } from './scan-protocol.js';
import { ScanRun } from './scan-run.js';

const IDLE_MS = 30_000;

/**
 * The thread's file: beside this module in the library build, beside the
 * bundle (or one up from its chunks) in dist/bin, and the library build when
 * running from source (tests under tsx).
 */
function workerFile(): string {
  const candidates = ['./scan-worker.js', './fs-scan-worker.js', '../fs-scan-worker.js', '../../../../dist/packs/filesystem/sandbox/scan-worker.js'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new McpdError('UNAVAILABLE', 'The file scanner is missing from this installation');
  return found;
}

export function scanCancelled(): McpdError {
  return new McpdError('CANCELLED', 'The scan was cancelled');
}

export class ScanPool {
  private readonly idle = new Map<Worker, NodeJS.Timeout>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private closed = false;

  constructor(readonly size: number) {}

  /** Runs `job` on a scanner thread, once one is free (CANCELLED if `signal` aborts while waiting). */
  async start(job: ScanJob, signal?: AbortSignal): Promise<ScanRun> {
    await this.slot(signal);
    let worker: Worker;
    try {
      worker = this.takeIdle() ?? this.spawn();
    } catch (error) {
      this.freeSlot();
      throw error;
    }
    worker.ref();
    return new ScanRun(worker, job, (healthy) => this.release(worker, healthy));
  }

  /** Ends the idle threads now and the busy ones when their scan ends. */
  close(): void {
    this.closed = true;
    for (const [worker, timer] of this.idle) {
      clearTimeout(timer);
      void worker.terminate();
    }
    this.idle.clear();
  }

  private async slot(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw scanCancelled();
    if (this.running < this.size) {
      this.running++;
      return;
    }
    // A freed slot passes straight to the first waiter (`running` is unchanged).
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(scanCancelled());
      };
      const granted = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(granted);
    });
  }

  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private takeIdle(): Worker | undefined {
    const [entry] = this.idle;
    if (!entry) return undefined;
    clearTimeout(entry[1]);
    this.idle.delete(entry[0]);
    return entry[0];
  }

  private spawn(): Worker {
    const worker = new Worker(workerFile());
    // A thread that dies while idle is simply forgotten; one that dies during a scan fails that scan (scan-run.ts).
    worker.on('exit', () => {
      const timer = this.idle.get(worker);
      if (timer) clearTimeout(timer);
      this.idle.delete(worker);
    });
    worker.on('error', () => undefined);
    return worker;
  }

  private release(worker: Worker, healthy: boolean): void {
    if (healthy && !this.closed) {
      worker.unref();
      const timer = setTimeout(() => {
        this.idle.delete(worker);
        void worker.terminate();
      }, IDLE_MS);
      timer.unref();
      this.idle.set(worker, timer);
    } else {
      void worker.terminate();
    }
    this.freeSlot();
  }
}
