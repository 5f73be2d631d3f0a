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
  /** Bytes of messages kept in all (least recently written streams dropped first). */
  maxBytes: number;
  /** How long a finished stream stays replayable. */
  retentionMs: number;
}

interface StoredStream {
  events: { seq: number; message: string }[];
  nextSeq: number;
  bytes: number;
  finishedAt: number | undefined;
}

export function streamIdOf(eventId: string): string | undefined {
  const cut = eventId.lastIndexOf('_');
  return cut <= 0 ? undefined : eventId.slice(0, cut);
}

export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, StoredStream>();
  private readonly options: MemoryEventStoreOptions;
  private bytes = 0;
  private sweeper: NodeJS.Timeout | undefined;
  /**
   * Next sequence numbers of unfinished streams evicted for budget: a stream
   * written again goes on numbering from there, so an id a client already holds
   * is never issued twice and resuming from it is refused instead of lying.
   */
  private readonly evictedSeq = new Map<string, number>();

  constructor(options: Partial<MemoryEventStoreOptions> = {}) {
    this.options = { maxEventsPerStream: 256, maxStreams: 10_000, maxBytes: 64 * 1024 * 1024, retentionMs: 5 * 60_000, ...options };
  }

  get size(): number {
    return this.streams.size;
  }

  /** Bytes of messages held (UTF-16 length, close enough for a budget). */
  get heldBytes(): number {
    return this.bytes;
  }

  append(streamId: string, message: string): string {
    let stream = this.streams.get(streamId);
    if (stream) {
      // Re-insert so the Map's order is least-recently-written first.
      this.streams.delete(streamId);
    } else {
      const resumeAt = this.evictedSeq.get(streamId);
      if (resumeAt !== undefined) this.evictedSeq.delete(streamId);
      stream = { events: [], nextSeq: resumeAt ?? 0, bytes: 0, finishedAt: undefined };
      this.evict();
      this.startSweeper();
    }
    this.streams.set(streamId, stream);
    const seq = stream.nextSeq++;
    stream.events.push({ seq, message });
    stream.bytes += message.length;
    this.bytes += message.length;
    if (stream.events.length > this.options.maxEventsPerStream) {
      const dropped = stream.events.shift()!;
      stream.bytes -= dropped.message.length;
      this.bytes -= dropped.message.length;
    }
    if (this.bytes > this.options.maxBytes) this.evict();
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
    // Events after `after` were dropped (per-stream cap, eviction): a silent gap would lose messages.
    const firstKept = stream.events.length > 0 ? stream.events[0]!.seq : stream.nextSeq;
    if (after < firstKept - 1) return undefined;
    for (const event of stream.events) if (event.seq > after) send(`${streamId}_${event.seq}`, event.message);
    return streamId;
  }

  finish(streamId: string): void {
    const stream = this.streams.get(streamId);
    if (stream) stream.finishedAt = Date.now();
  }

  /**
   * Drops streams from the least recently written end while over a budget or
   * past retention, stopping at the first one to keep; `fullScan` (the periodic
   * sweep) looks at every stream for expired ones.
   */
  private evict(fullScan = false, now = Date.now()): void {
    for (const [id, stream] of this.streams) {
      const over = this.streams.size >= this.options.maxStreams || this.bytes > this.options.maxBytes;
      const stale = stream.finishedAt !== undefined && now - stream.finishedAt > this.options.retentionMs;
      if (!over && !stale) {
        if (fullScan) continue;
        break;
      }
      this.streams.delete(id);
      this.bytes -= stream.bytes;
      if (stream.finishedAt === undefined) {
        this.evictedSeq.set(id, stream.nextSeq);
        if (this.evictedSeq.size > this.options.maxStreams) this.evictedSeq.delete(this.evictedSeq.keys().next().value!);
      }
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      this.evict(true);
      if (this.streams.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, Math.max(1000, Math.min(this.options.retentionMs, 60_000)));
    this.sweeper.unref();
  }
}
