/**
 * Storage of SSE events so that a 2025-era client whose stream dropped can
 * resume with `Last-Event-ID`. Pluggable: the in-memory store serves one
 * replica; a shared store (Redis) lets a client resume on another.
 *
 * Event ids are `<streamId>_<sequence>`, so the stream of an id is known
 * without a lookup.
 */

export interface EventStore {
  /** Stores one message of a stream; returns its event id. */
  append(streamId: string, message: string): string;
  /**
   * Replays the events of the stream `lastEventId` belongs to that came after
   * it; returns that stream's id, or undefined when the id is unknown or expired.
   */
  replayAfter(lastEventId: string, send: (eventId: string, message: string) => void): string | undefined;
  /** The stream will get no more events; the store may forget it after its retention. */
  finish(streamId: string): void;
}

export interface MemoryEventStoreOptions {
  /** Events kept per stream (oldest dropped first). */
  maxEventsPerStream: number;
  /** Streams kept at once (least recently written dropped first). */
  maxStreams: number;
  /** How long a finished stream stays replayable. */
  retentionMs: number;
}

interface StoredStream {
  events: { seq: number; message: string }[];
  nextSeq: number;
  finishedAt: number | undefined;
}

export function streamIdOf(eventId: string): string | undefined {
  const cut = eventId.lastIndexOf('_');
  return cut <= 0 ? undefined : eventId.slice(0, cut);
}

export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, StoredStream>();
  private readonly options: MemoryEventStoreOptions;

  constructor(options: Partial<MemoryEventStoreOptions> = {}) {
    this.options = { maxEventsPerStream: 256, maxStreams: 10_000, retentionMs: 5 * 60_000, ...options };
  }

  get size(): number {
    return this.streams.size;
  }

  append(streamId: string, message: string): string {
    let stream = this.streams.get(streamId);
    if (stream) {
      // Re-insert so the Map's order is least-recently-written first.
      this.streams.delete(streamId);
    } else {
      stream = { events: [], nextSeq: 0, finishedAt: undefined };
      this.evict();
    }
    this.streams.set(streamId, stream);
    const seq = stream.nextSeq++;
    stream.events.push({ seq, message });
    if (stream.events.length > this.options.maxEventsPerStream) stream.events.shift();
    return `${streamId}_${seq}`;
  }

  replayAfter(lastEventId: string, send: (eventId: string, message: string) => void): string | undefined {
    const streamId = streamIdOf(lastEventId);
    if (streamId === undefined) return undefined;
    const stream = this.streams.get(streamId);
    if (!stream) return undefined;
    const sequence = lastEventId.slice(streamId.length + 1);
    if (!/^-?\d+$/.test(sequence)) return undefined;
    const after = Number(sequence);
    // Events after `after` were dropped by the per-stream cap: a silent gap would lose messages.
    if (stream.events.length > 0 && after < stream.events[0]!.seq - 1) return undefined;
    for (const event of stream.events) if (event.seq > after) send(`${streamId}_${event.seq}`, event.message);
    return streamId;
  }

  finish(streamId: string): void {
    const stream = this.streams.get(streamId);
    if (stream) stream.finishedAt = Date.now();
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, stream] of this.streams) {
      const expired = stream.finishedAt !== undefined && now - stream.finishedAt > this.options.retentionMs;
      if (expired || this.streams.size >= this.options.maxStreams) this.streams.delete(id);
      else break;
    }
  }
}
