/**
 * Owns every live 2025-era session: creation under a cap, lookup, explicit
 * termination, and reaping of idle ones. A session is idle when it has no
 * request in flight and no open stream; a busy session is never reaped, however
 * old its last activity.
 */
import type { Transport } from '../api/types.js';
import { McpdError } from '../chassis/errors.js';
import { Session } from './session.js';

export interface SessionLimits {
  /** Sessions allowed at once; initialize beyond it is refused with UNAVAILABLE. */
  maxSessions: number;
  /** Idle time after which a session is closed. */
  idleTimeoutMs: number;
  /**
   * Idle time after which a session that never finished its handshake
   * (no notifications/initialized) is closed: a flood of bare initialize
   * requests must not hold the session cap for the full idle timeout.
   */
  handshakeTimeoutMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxSessions: 10_000, idleTimeoutMs: 30 * 60_000, handshakeTimeoutMs: 30_000 };

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private reaper: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(event: 'opened' | 'closed', session: Session) => void>();

  readonly limits: SessionLimits;

  constructor(limits: Partial<SessionLimits> = {}) {
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...limits };
  }

  get size(): number {
    return this.sessions.size;
  }

  on(listener: (event: 'opened' | 'closed', session: Session) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(transport: Transport): Session {
    if (this.sessions.size >= this.limits.maxSessions) {
      this.reapIdle();
      if (this.sessions.size >= this.limits.maxSessions) {
        throw new McpdError('UNAVAILABLE', 'Too many sessions; try again later', { retryAfterMs: 1000 });
      }
    }
    const session = new Session(transport);
    this.sessions.set(session.id, session);
    this.startReaper();
    for (const listener of this.listeners) listener('opened', session);
    return session;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Every session, for broadcasts (list_changed). */
  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  terminate(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    session.close();
    for (const listener of this.listeners) listener('closed', session);
    return true;
  }

  /** Closes sessions idle past the timeout; returns how many. */
  reapIdle(now = Date.now()): number {
    let reaped = 0;
    for (const session of this.sessions.values()) {
      if (session.busy > 0) continue;
      const timeout = session.initialized ? this.limits.idleTimeoutMs : Math.min(this.limits.handshakeTimeoutMs, this.limits.idleTimeoutMs);
      if (now - session.lastActivity >= timeout) {
        this.terminate(session.id);
        reaped++;
      }
    }
    return reaped;
  }

  private startReaper(): void {
    if (this.reaper) return;
    const every = Math.max(250, Math.min(this.limits.idleTimeoutMs / 2, this.limits.handshakeTimeoutMs / 2, 30_000));
    this.reaper = setInterval(() => {
      this.reapIdle();
      if (this.sessions.size === 0) this.stopReaper();
    }, every);
    this.reaper.unref();
  }

  private stopReaper(): void {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.terminate(id);
    this.stopReaper();
  }
}
