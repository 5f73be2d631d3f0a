/**
 * Scanning files below a directory, with their contents: the main thread's
 * side. The directory is opened and verified here (verified-open.ts, like
 * every path an agent names); a scanner thread walks below it and opens,
 * verifies and reads each file through the verified descriptors
 * (scan-tree.ts); files arrive here in batches, in the walk's order, at most
 * a few batches ahead of the consumer.
 *
 * The directory's descriptor is the thread's anchor (`/proc/self/fd/<fd>`),
 * so it is closed only once the thread has finished with the job — even when
 * the consumer stops early or is cancelled, which returns at once.
 */
import { globMatcher } from './glob.js';
import type { Lexical } from './locate.js';
import { McpdError } from '../../../chassis/errors.js';
import { CONSUMER_IDLE_MS, DEFAULT_BATCH, SCAN_CONSUMER_IDLE, SCAN_OUTSIDE_ROOTS, type FromScanner } from './scan-protocol.js';
import { scanCancelled, type ScanPool } from './scan-pool.js';
import type { ScanRun } from './scan-run.js';
import type { RootScope } from './scope.js';
import type { ScannedFile, ScanOptions, ScanSummary } from './types.js';
import { closeQuietly, openDirectory, outsideRoots } from './verified-open.js';

const EMPTY = Buffer.alloc(0);

/** The thread's failure: its own refusals as McpdErrors, a system error (fsFailure maps its errno code), or an internal one. */
function scannerError(message: Extract<FromScanner, { op: 'error' }>, display: string): Error {
  if (message.code === SCAN_OUTSIDE_ROOTS) return outsideRoots(display);
  if (message.code === SCAN_CONSUMER_IDLE) return new McpdError('TIMEOUT', `The scan of ${display} stopped: its results were not taken for too long`);
  return Object.assign(new Error(message.message), message.code === undefined ? {} : { code: message.code });
}

export async function* scanFiles(
  scope: RootScope,
  pool: ScanPool,
  lexical: Lexical,
  options: ScanOptions & { refuseHardLinks: boolean },
): AsyncGenerator<ScannedFile, ScanSummary> {
  // A bad pattern is the caller's error, before anything is opened.
  if (options.glob) globMatcher(options.glob);
  const { signal } = options;
  const directory = await openDirectory(scope, lexical);
  let run: ScanRun | undefined;
  const onAbort = () => run?.cancel(scanCancelled());
  try {
    run = await pool.start(
      {
        dirFd: directory.handle.fd,
        display: directory.located.display,
        // Exact copies: a small Buffer is a view of a shared pool, which a structured clone would copy whole.
        roots: scope.roots.map((root) => Uint8Array.from(root.bytes)),
        maxDepth: options.maxDepth,
        maxEntries: options.maxEntries,
        read: options.read,
        maxFileBytes: options.maxFileBytes,
        refuseHardLinks: options.refuseHardLinks,
        glob: options.glob,
        batch: DEFAULT_BATCH,
        consumerIdleMs: options.consumerIdleMs ?? CONSUMER_IDLE_MS,
      },
      signal,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    for (;;) {
      const message = await run.next();
      if (message.op === 'end') return { entriesCapped: message.entriesCapped, depthCapped: message.depthCapped, filesSeen: message.filesSeen };
      if (message.op === 'error') throw scannerError(message, directory.located.display);
      const buffer = message.buffer ? Buffer.from(message.buffer) : undefined;
      for (const file of message.files) {
        if (signal?.aborted) throw scanCancelled();
        const scanned: ScannedFile = { display: file.display, depth: file.depth, seen: file.seen };
        if (file.length >= 0) scanned.bytes = buffer ? buffer.subarray(file.offset, file.offset + file.length) : EMPTY;
        yield scanned;
      }
      run.consumed();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    run?.stop();
    if (run && !run.done) {
      // Stopped early: return now, close when the thread lets go of the descriptor.
      const handle = directory.handle;
      void run.finished.then(() => closeQuietly(handle));
    } else {
      await closeQuietly(directory.handle);
    }
  }
}
