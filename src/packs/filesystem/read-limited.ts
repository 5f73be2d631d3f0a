/**
 * Reads an open file up to a limit. The size seen when the file was opened
 * may be stale (a file growing meanwhile, or one that reports 0 like procfs):
 * the limit is enforced on the bytes actually read, never on a stat.
 */
import type { FileHandle } from 'node:fs/promises';

export async function readUpTo(handle: FileHandle, limit: number, sizeHint?: number): Promise<{ bytes: Buffer; more: boolean }> {
  // Sized from the hint when there is one (most files are small): one read, no zero-filled 64 KiB per file.
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(limit + 1, sizeHint !== undefined ? sizeHint + 1 : 64 * 1024)));
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit + 1 - total), null);
    if (bytesRead === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    total += bytesRead;
    if (total > limit) break;
  }
  const bytes = Buffer.concat(chunks, total);
  return total > limit ? { bytes: bytes.subarray(0, limit), more: true } : { bytes, more: false };
}
