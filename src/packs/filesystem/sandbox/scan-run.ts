/**
 * One scan on one scanner thread, seen from the main thread: the thread's
 * messages as a queue to await, the shared control words to signal "one more
 * batch consumed" and "stop", and `finished`, which settles only when the
 * thread is done with the job — the moment the directory descriptor it uses
 * may be closed and the thread given to another scan.
 */
import type { Worker } from 'node:worker_threads';
import { CONTROL_CONSUMED, CONTROL_STOP, CONTROL_WORDS, type FromScanner, type ScanJob, type ToScanner } from './scan-protocol.js';

export class ScanRun {
  readonly finished: Promise<void>;
  private ended = false;
  private readonly words = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT));
  private readonly queue: FromScanner[] = [];
  private waiter: { resolve(message: FromScanner): void; reject(error: unknown): void } | undefined;
  private failure: unknown;

  /** Posts `job` to `worker`; `release(healthy)` is called once, when the thread has finished with it (healthy) or died. */
  constructor(worker: Worker, job: ScanJob, release: (healthy: boolean) => void) {
    let settle!: () => void;
    this.finished = new Promise<void>((resolve) => (settle = resolve));
    const finish = (healthy: boolean) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      this.ended = true;
      release(healthy);
      settle();
    };
    const onMessage = (message: FromScanner) => {
      if (message.op !== 'batch') finish(true);
      this.deliver(message);
    };
    const onError = (error: unknown) => {
      finish(false);
      this.fail(error);
    };
    const onExit = (code: number) => onError(new Error(`the scanner thread exited (${code})`));
    worker.on('message', onMessage).once('error', onError).once('exit', onExit);
    try {
      worker.postMessage({ job, control: this.words.buffer as SharedArrayBuffer } satisfies ToScanner);
    } catch (error) {
      // A job that cannot be copied to the thread (a library caller's odd glob, say): the thread never saw it.
      finish(true);
      throw error;
    }
  }

  /** `finished` has settled: the thread no longer uses the job's descriptor. */
  get done(): boolean {
    return this.ended;
  }

  /** The next message (rejects once the run failed or was cancelled). */
  next(): Promise<FromScanner> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const message = this.queue.shift();
    if (message) return Promise.resolve(message);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer is done with one more batch: the thread may read one further ahead. */
  consumed(): void {
    Atomics.add(this.words, CONTROL_CONSUMED, 1);
    Atomics.notify(this.words, CONTROL_CONSUMED);
  }

  /** Asks the thread to stop at its next entry (it wakes if it waits for the consumer). */
  stop(): void {
    Atomics.store(this.words, CONTROL_STOP, 1);
    // Moving the word it waits on: a thread between its stop check and its wait does not sleep (a lost wake-up
    // would hold the thread and the descriptor for consumerIdleMs, and pass for an idle consumer).
    Atomics.add(this.words, CONTROL_CONSUMED, 1);
    Atomics.notify(this.words, CONTROL_CONSUMED);
  }

  /** Stops the thread and fails the waiting and later `next()` calls with `error`. */
  cancel(error: unknown): void {
    this.stop();
    this.fail(error);
  }

  private deliver(message: FromScanner): void {
    if (this.failure !== undefined) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter.resolve(message);
    else this.queue.push(message);
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.queue.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
  }
}
