/**
 * A 2025-era SSE stream that outlives its HTTP connection: every event is
 * stored (when an event store is configured) before it is written, so a client
 * that lost the connection resumes with `Last-Event-ID` on a new one.
 */
import type { EventStore } from './event-store.js';
import type { SseWriter } from './sse.js';

export class LiveStream {
  private writer: SseWriter | undefined;
  finished = false;
  /** Messages sent so far; until the first, the priming id alone identifies the stream. */
  sent = 0;

  constructor(
    readonly id: string,
    private readonly store: EventStore | undefined,
    writer: SseWriter | undefined,
  ) {
    this.writer = writer;
  }

  get connected(): boolean {
    return this.writer !== undefined && !this.writer.closed;
  }

  send(message: string): void {
    this.sent++;
    const eventId = this.store?.append(this.id, message);
    if (this.writer && !this.writer.closed) this.writer.event(message, eventId);
  }

  /** A resumed connection takes over the stream's live events. */
  attach(writer: SseWriter): void {
    if (this.writer && !this.writer.closed && this.writer !== writer) this.writer.end();
    this.writer = writer;
  }

  /** The connection `writer` went away; the stream goes on (stored) until a client resumes it. */
  detach(writer: SseWriter): void {
    if (this.writer === writer) this.writer = undefined;
  }

  /** Ends the HTTP response but not the stream: the client is expected to reconnect. */
  disconnect(): void {
    this.writer?.end();
    this.writer = undefined;
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.store?.finish(this.id);
    this.writer?.end();
    this.writer = undefined;
  }
}
