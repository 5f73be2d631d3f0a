/**
 * A Server-Sent Events response: headers once, then `id`/`data` events, comment
 * keep-alives, and a `retry` hint for clients that reconnect.
 */
import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
} as const;

export class SseWriter {
  private keepAlive: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    readonly res: ServerResponse,
    keepAliveMs: number,
  ) {
    if (keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.comment('keepalive'), keepAliveMs);
      this.keepAlive.unref();
    }
    res.once('close', () => this.dispose());
  }

  static open(res: ServerResponse, extraHeaders: Record<string, string> | undefined, keepAliveMs: number): SseWriter {
    res.writeHead(200, extraHeaders ? { ...SSE_HEADERS, ...extraHeaders } : SSE_HEADERS);
    res.flushHeaders();
    return new SseWriter(res, keepAliveMs);
  }

  event(data: string, id?: string): void {
    if (this.closed) return;
    this.res.write(id === undefined ? `event: message\ndata: ${data}\n\n` : `event: message\nid: ${id}\ndata: ${data}\n\n`);
  }

  /** An event with an id and no message: lets a client resume from here (priming). */
  prime(id: string, retryMs: number | undefined): void {
    if (this.closed) return;
    this.res.write(retryMs === undefined ? `id: ${id}\ndata: \n\n` : `id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.dispose();
    this.res.end();
  }

  private dispose(): void {
    this.closed = true;
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = undefined;
  }
}
