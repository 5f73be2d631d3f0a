/**
 * Reads a response body up to a byte cap. Once the cap is reached the stream
 * is destroyed (for an undici body that ends the download and the
 * connection), so an endless or huge body costs at most `maxBytes` of memory
 * and little more of bandwidth. The request's AbortSignal ends the read at
 * once, even while waiting for a slow server's next chunk.
 */
import { McpdError } from '../../chassis/errors.js';

export type CappedBody = AsyncIterable<Uint8Array> & { destroy?(error?: Error): void };

export interface CappedRead {
  /** At most `maxBytes` bytes. */
  bytes: Buffer;
  /** The body had more than `maxBytes` bytes; the rest was not read. */
  truncated: boolean;
  /** Bytes taken from the stream (the last chunk may have gone past the cap). */
  receivedBytes: number;
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function cancelled(signal: AbortSignal): McpdError {
  return new McpdError('CANCELLED', 'The request was cancelled while its body was read', { cause: signal.reason });
}

export async function readCapped(body: CappedBody, maxBytes: number, signal?: AbortSignal): Promise<CappedRead> {
  const stop = (error?: Error) => {
    try {
      body.destroy?.(error);
    } catch {
      // Already destroyed, or a stream that refuses: nothing more to release.
    }
  };
  if (signal?.aborted) {
    stop();
    throw cancelled(signal);
  }
  const iterator = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let kept = 0;
  let receivedBytes = 0;
  let truncated = false;

  // Aborting settles `aborted` (a pending next() of a stream that cannot be interrupted is left behind).
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    if (!signal) return;
    onAbort = () => reject(cancelled(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});

  let finished = false;
  try {
    while (true) {
      const pending = iterator.next();
      let step: IteratorResult<Uint8Array>;
      if (signal) {
        pending.catch(() => {});
        step = await Promise.race([pending, aborted]);
      } else {
        step = await pending;
      }
      if (step.done) {
        finished = true;
        break;
      }
      const chunk = toBuffer(step.value);
      if (chunk.length === 0) continue;
      receivedBytes += chunk.length;
      const room = maxBytes - kept;
      // A body of exactly maxBytes is whole: only a byte beyond the cap means truncation.
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        kept += Math.max(0, room);
        truncated = true;
        break;
      }
      chunks.push(chunk);
      kept += chunk.length;
    }
  } catch (error) {
    stop();
    if (signal?.aborted) throw cancelled(signal);
    throw error;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      stop();
      // Let a generator run its cleanup; a stream's return() is harmless after destroy.
      iterator.return?.()?.catch(() => {});
    }
  }
  return { bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, kept), truncated, receivedBytes };
}
