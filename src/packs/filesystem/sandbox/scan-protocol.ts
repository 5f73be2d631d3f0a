/**
 * What the main thread and a scanner thread (scan-worker.ts) say to each
 * other, and the shared control words that bound read-ahead and carry
 * cancellation without a round trip through either event loop.
 */

/** A scan to run below a directory the main thread opened and verified. */
export interface ScanJob {
  /**
   * The verified directory's descriptor, opened by the main thread (threads
   * share the process's descriptor table). It stays open until the scanner
   * thread reports the end of the job: the number must never name anything else.
   */
  dirFd: number;
  /** Its display path. */
  display: string;
  /** Every root's real path (the kernel's bytes): what descriptors are verified against. */
  roots: Uint8Array[];
  maxDepth: number;
  maxEntries: number;
  /** Read each file (up to maxFileBytes) or only list it. */
  read: boolean;
  maxFileBytes: number;
  refuseHardLinks: boolean;
  /** Only files whose path relative to the scanned directory matches (see glob.ts). */
  glob?: { pattern: string; caseSensitive: boolean };
  /** A batch is sent at this many files, bytes, or milliseconds since its first file, whichever comes first. */
  batch: { files: number; bytes: number; ms: number };
  /** How long the scanner waits, read-ahead full, for a consumer that takes nothing (CONSUMER_IDLE_MS). */
  consumerIdleMs: number;
}

/** One file of a batch; its bytes are `buffer[offset, offset + length)` (no buffer when all are empty), or it was not read (`length` -1). */
export interface ScanRecord {
  display: string;
  depth: number;
  /** Regular files the walk had met up to and including this one (glob or not, read or skipped). */
  seen: number;
  offset: number;
  length: number;
}

export interface ScanBatch {
  files: ScanRecord[];
  /** Transferred, not copied; null when nothing was read. */
  buffer: ArrayBuffer | null;
}

export interface ScanEnd {
  entriesCapped: boolean;
  depthCapped: boolean;
  filesSeen: number;
}

export type FromScanner =
  | ({ op: 'batch' } & ScanBatch)
  | ({ op: 'end' } & ScanEnd)
  /** A failure that ends the scan (errno code when it is a system error; the message stays in the process). */
  | { op: 'error'; code?: string; message: string };

export interface ToScanner {
  job: ScanJob;
  /** Int32Array over a SharedArrayBuffer: CONTROL_* below. */
  control: SharedArrayBuffer;
}

/** Control word: non-zero once the consumer wants the scan stopped (cancelled, or done early). */
export const CONTROL_STOP = 0;
/** Control word: batches the consumer has finished with. */
export const CONTROL_CONSUMED = 1;
export const CONTROL_WORDS = 2;

/** The scanner runs at most this many batches ahead of its consumer (memory: about this many batches per scan). */
export const READ_AHEAD_BATCHES = 4;
/** A consumer that takes no batch for this long is gone (it never said stop): the scanner stops by itself. */
export const CONSUMER_IDLE_MS = 60_000;
/** Error codes of the scanner's own (not errno): the searched directory left the roots; the consumer went idle. */
export const SCAN_OUTSIDE_ROOTS = 'MCPD_SCAN_OUTSIDE_ROOTS';
export const SCAN_CONSUMER_IDLE = 'MCPD_SCAN_CONSUMER_IDLE';

export const DEFAULT_BATCH = { files: 256, bytes: 256 * 1024, ms: 20 } as const;
