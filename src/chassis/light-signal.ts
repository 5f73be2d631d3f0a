/**
 * An abort signal without an AbortController: `aborted`, `reason` and one-shot
 * `abort` listeners, nothing else. The engine keeps one per request for
 * `ctx.onAbort` (RequestContext); the HTTP pack hands one per call to undici,
 * the body reader and the retry wait.
 *
 * Hand-written on purpose, for the hot path: on Node 20, creating an
 * AbortController and listening to it cost 10–26 µs per request, and undici
 * given a real AbortSignal spends ~25 µs more CPU per request than given this
 * object (measured with bench/http.mjs and its scratch ablations: a 1 KB call's
 * whole overhead budget). undici accepts any object with `aborted`, `reason`
 * and `addEventListener`/`removeEventListener` as a request's signal.
 */

/** What a consumer of cancellation needs of a signal: an AbortSignal, or a LightSignal. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class LightSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  /** Every listener runs once, on abort (registrations are one-shot whatever the options say); none after it. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }

  /**
   * Aborts once: every listener runs, in order, each even when an earlier one throws (as an EventTarget's do).
   * Their exceptions go to `onError`; without it, the first is rethrown once all have run.
   */
  abort(reason: unknown, onError?: (error: unknown) => void): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        if (onError) onError(error);
        else failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
