/**
 * A circuit breaker per host: after `failureThreshold` consecutive failures
 * (connection errors, or answers the caller counts as failures such as 5xx)
 * calls to that host fail at once for `halfOpenAfterMs`; then one trial call
 * goes through, and its outcome closes the circuit or opens it again.
 *
 * Written here rather than with cockatiel's `circuitBreaker(…, { breaker: new
 * ConsecutiveBreaker(n) })` (one policy per host would have been the design),
 * because three of that policy's behaviours do not fit a shared, per-host,
 * deadline-bound client:
 * - in half-open, callers arriving during the trial *wait* for it (without
 *   their AbortSignal) instead of failing fast, so a call could outlive its
 *   deadline by the whole length of another caller's trial;
 * - a trial that ends in an error the policy does not handle (the caller
 *   cancelled, a redirect refused by the SSRF policy) *closes* the circuit,
 *   although nothing proved the host healthy;
 * - the open → half-open move happens only inside `execute` and the opening
 *   time is not exposed except through `toJSON()`, and time is `Date.now()`:
 *   neither the metric nor a test clock sees the real state.
 * The state machine is small; here it is explicit and introspectable.
 *
 * Memory: only hosts with a recent failure are tracked (a success forgets the
 * host, which is the same as a closed circuit with no failures), in an LRU of
 * at most `maxHosts` entries, so an agent calling many hosts cannot grow it.
 */
import { LRUCache } from 'lru-cache';
import { McpdError } from '../../../chassis/errors.js';
import { errorChain } from '../error-chain.js';
import { isAbortLike } from './retry.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface HostBreakersOptions {
  enabled: boolean;
  failureThreshold: number;
  halfOpenAfterMs: number;
  /** Most hosts tracked at once (least recently used forgotten first); default 1000. */
  maxHosts?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface Circuit {
  /** Consecutive failures (keeps counting while open). */
  failures: number;
  open: boolean;
  openedAt: number;
  /** A half-open trial call is under way. */
  trial: boolean;
}

/** What a caller arriving during a half-open trial is told to wait. */
const TRIAL_RETRY_AFTER_MS = 1_000;

/** mcpd's own refusals and cancellations: they say nothing about the host's health. */
const NEUTRAL_CODES = new Set(['PERMISSION_DENIED', 'VALIDATION_ERROR', 'CANCELLED', 'UNAUTHENTICATED', 'NOT_FOUND', 'METHOD_NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'INTERNAL']);
/** undici errors about the request we built or our own client's lifecycle, not about the host. */
const NEUTRAL_UNDICI_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/**
 * Does this thrown error count against the host? Connection errors, timeouts
 * of the host (connect, headers), TLS and protocol errors do; an abort (the
 * caller's cancellation or deadline), mcpd's refusals (an McpdError such as
 * PERMISSION_DENIED, VALIDATION_ERROR, CANCELLED anywhere in the chain) and
 * undici argument errors do not.
 */
export function isHostFailure(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (isAbortLike(link)) return false;
    if (link instanceof McpdError && NEUTRAL_CODES.has(link.code)) return false;
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string' && NEUTRAL_UNDICI_CODES.has(code)) return false;
  }
  return true;
}

type Outcome = 'success' | 'failure' | 'neutral';

export class HostBreakers {
  private readonly enabled: boolean;
  private readonly failureThreshold: number;
  private readonly halfOpenAfterMs: number;
  private readonly now: () => number;
  private readonly circuits: LRUCache<string, Circuit>;

  constructor(options: HostBreakersOptions) {
    this.enabled = options.enabled;
    this.failureThreshold = Math.max(1, options.failureThreshold);
    this.halfOpenAfterMs = options.halfOpenAfterMs;
    this.now = options.now ?? Date.now;
    this.circuits = new LRUCache({ max: Math.max(1, options.maxHosts ?? 1000) });
  }

  /**
   * Runs `work` unless the host's circuit is open (then throws UPSTREAM_ERROR
   * with `retryAfterMs`). A resolved value for which `isFailure` is true (e.g. a
   * 503) counts as a failure but is still returned.
   */
  async execute<T>(host: string, work: () => Promise<T>, isFailure?: (value: T) => boolean): Promise<T> {
    if (!this.enabled) return work();
    const circuit = this.circuits.get(host);
    let trial: Circuit | undefined;
    if (circuit?.open) {
      const wait = circuit.openedAt + this.halfOpenAfterMs - this.now();
      if (wait > 0) throw this.openError(host, circuit, wait);
      if (circuit.trial) throw this.openError(host, circuit, TRIAL_RETRY_AFTER_MS);
      circuit.trial = true;
      trial = circuit;
    }
    let outcome: Outcome = 'neutral';
    let answered = false;
    try {
      const value = await work();
      answered = true;
      outcome = isFailure?.(value) ? 'failure' : 'success';
      return value;
    } catch (error) {
      // A throwing `isFailure` is a bug of ours, not the host's.
      if (!answered && isHostFailure(error)) outcome = 'failure';
      throw error;
    } finally {
      this.record(host, outcome, trial);
    }
  }

  /** The host's circuit now: `half_open` once the open period is over (the next call is a trial) or during the trial. */
  state(host: string): BreakerState {
    const circuit = this.enabled ? this.circuits.peek(host) : undefined;
    return circuit ? this.stateOf(circuit) : 'closed';
  }

  /** Every tracked host (those with recent failures) and its state, most recently used first. */
  *states(): Iterable<[string, BreakerState]> {
    for (const [host, circuit] of this.circuits.entries()) yield [host, this.stateOf(circuit)];
  }

  private stateOf(circuit: Circuit): BreakerState {
    if (!circuit.open) return 'closed';
    return circuit.trial || this.now() >= circuit.openedAt + this.halfOpenAfterMs ? 'half_open' : 'open';
  }

  private record(host: string, outcome: Outcome, trial: Circuit | undefined): void {
    if (trial) trial.trial = false;
    const current = this.circuits.peek(host);
    // The trial's circuit may have been forgotten (LRU) meanwhile: then this is an ordinary outcome.
    const wasTrial = trial !== undefined && current === trial;
    if (outcome === 'neutral') return;
    if (outcome === 'success') {
      // While open, only the trial's success closes the circuit (other successes started before it opened).
      if (current && (!current.open || wasTrial)) this.circuits.delete(host);
      return;
    }
    const now = this.now();
    if (wasTrial) {
      trial.failures++;
      trial.openedAt = now;
      return;
    }
    const circuit = current ?? { failures: 0, open: false, openedAt: 0, trial: false };
    if (!current) this.circuits.set(host, circuit);
    circuit.failures++;
    if (!circuit.open && circuit.failures >= this.failureThreshold) {
      circuit.open = true;
      circuit.openedAt = now;
    }
  }

  private openError(host: string, circuit: Circuit, retryAfterMs: number): McpdError {
    // The error's text gets "(retry after N s)" from retryAfterMs where it is shown (errors.ts).
    return new McpdError('UPSTREAM_ERROR', `Circuit open for ${host}: it failed ${circuit.failures} times in a row`, {
      retryAfterMs,
      data: { host, circuit: this.stateOf(circuit) },
    });
  }
}
