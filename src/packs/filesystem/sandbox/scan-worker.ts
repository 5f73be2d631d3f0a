/**
 * A scanner thread: runs one scan at a time (scan-tree.ts) with synchronous
 * calls — each costs the system call (about 1 µs for an fstat), where an
 * asynchronous one on the main thread pays a libuv threadpool round trip
 * (15–60 µs measured) and occupies a threadpool thread that dns.lookup and
 * every other fs call share — and a slow filesystem blocks this thread only,
 * never the server's event loop.
 *
 * Batches are posted with their buffer transferred; after READ_AHEAD_BATCHES
 * unconsumed ones the thread sleeps on the shared control word until the
 * consumer takes one or says stop, so memory stays bounded and a search that
 * has its results stops reading.
 */
import { parentPort } from 'node:worker_threads';
import { errnoOf } from './fs-errors.js';
import { CONTROL_CONSUMED, CONTROL_STOP, READ_AHEAD_BATCHES, SCAN_CONSUMER_IDLE, type FromScanner, type ToScanner } from './scan-protocol.js';
import { scanTree, type ScanSink } from './scan-tree.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.ts runs as a worker thread');

port.on('message', ({ job, control }: ToScanner) => {
  const words = new Int32Array(control);
  const post = (message: FromScanner, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let sent = 0;
  let idled = false;
  const sink: ScanSink = {
    stopped: () => Atomics.load(words, CONTROL_STOP) !== 0,
    emit(batch) {
      post({ op: 'batch', ...batch }, batch.buffer ? [batch.buffer] : []);
      sent++;
      for (;;) {
        const consumed = Atomics.load(words, CONTROL_CONSUMED);
        if (sent - consumed <= READ_AHEAD_BATCHES || sink.stopped()) return;
        if (Atomics.wait(words, CONTROL_CONSUMED, consumed, job.consumerIdleMs) === 'timed-out') {
          idled = true;
          Atomics.store(words, CONTROL_STOP, 1);
        }
      }
    },
  };
  try {
    const end = scanTree(job, sink);
    // Stopped by itself, not by the consumer: what was sent is not the whole scan, and must not pass for it.
    if (idled) post({ op: 'error', code: SCAN_CONSUMER_IDLE, message: 'the consumer took no files for too long' });
    else post({ op: 'end', ...end });
  } catch (error) {
    post({ op: 'error', code: errnoOf(error), message: error instanceof Error ? error.message : String(error) });
  }
});
