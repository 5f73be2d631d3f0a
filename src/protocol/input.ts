/**
 * Input requests (elicitation, sampling, roots) that work the same from a
 * handler's point of view in both eras:
 *
 * - sessionful: a real server-to-client JSON-RPC request on the request's stream;
 * - stateless (2026-07-28): multi-round-trip. A missing answer ends the round with
 *   an `input_required` result; the client retries with `inputResponses` and the
 *   handler runs again, this time finding its answers;
 * - inside a task: the task turns `input_required` and waits for `tasks/update`.
 */
import { McpdError, JsonRpcErrorCode } from '../chassis/errors.js';
import type { Params } from './jsonrpc.js';
import type { Session } from './session.js';

export type InputMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';

const CAPABILITY_OF: Record<InputMethod, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

const KEY_PREFIX: Record<InputMethod, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

export interface InputRequest {
  method: InputMethod;
  params: Params;
}

export interface InputChannel {
  request(method: InputMethod, params: Params, key?: string): Promise<Record<string, unknown>>;
}

/** Refusal when the client did not declare the capability an input request needs. */
export function missingCapability(method: InputMethod, stateless: boolean): McpdError {
  const capability = CAPABILITY_OF[method];
  return new McpdError('VALIDATION_ERROR', `Client does not support ${capability} (required for ${method})`, {
    jsonRpcCode: stateless ? JsonRpcErrorCode.MISSING_REQUIRED_CLIENT_CAPABILITY : JsonRpcErrorCode.INVALID_PARAMS,
    data: { requiredCapabilities: { [capability]: {} } },
    protocol: stateless,
    httpStatus: stateless ? 400 : undefined,
  });
}

export function hasCapability(capabilities: Record<string, unknown>, method: InputMethod): boolean {
  const value = capabilities[CAPABILITY_OF[method]];
  return typeof value === 'object' && value !== null;
}

/** 2025 era: a server-to-client request over the session. */
export class SessionInputChannel implements InputChannel {
  constructor(
    private readonly session: Session,
    private readonly send: (message: string) => void,
    private readonly signal: AbortSignal,
    private readonly timeoutMs: number,
  ) {}

  request(method: InputMethod, params: Params): Promise<Record<string, unknown>> {
    if (!hasCapability(this.session.clientCapabilities, method)) return Promise.reject(missingCapability(method, false));
    return this.session.request(method, params, { send: this.send, signal: this.signal, timeoutMs: this.timeoutMs });
  }
}

/** Thrown (as a rejection) to end a stateless round that needs answers from the client. */
export class InputRequiredSignal extends Error {
  constructor(readonly collector: StatelessInputChannel) {
    super('input required');
    this.name = 'InputRequiredSignal';
  }
}

/** 2026 era: answers come from `inputResponses` (and earlier rounds' sealed state). */
export class StatelessInputChannel implements InputChannel {
  readonly missing: Record<string, InputRequest> = Object.create(null);
  /** Answers the handler actually consumed; sealed into the next round's requestState. */
  readonly used: Record<string, unknown> = Object.create(null);
  private missingCount = 0;
  private readonly counters: Partial<Record<InputMethod, number>> = {};

  constructor(
    readonly responses: Record<string, unknown>,
    private readonly clientCapabilities: Record<string, unknown>,
  ) {}

  get hasMissing(): boolean {
    return this.missingCount > 0;
  }

  request(method: InputMethod, params: Params, key?: string): Promise<Record<string, unknown>> {
    if (!hasCapability(this.clientCapabilities, method)) return Promise.reject(missingCapability(method, true));
    const n = (this.counters[method] = (this.counters[method] ?? 0) + 1);
    const inputKey = key ?? `${KEY_PREFIX[method]}-${n}`;
    const answer = this.responses[inputKey];
    if (answer !== undefined && answer !== null && typeof answer === 'object') {
      this.used[inputKey] = answer;
      return Promise.resolve(answer as Record<string, unknown>);
    }
    this.missing[inputKey] = { method, params };
    this.missingCount++;
    // Rejected on a later tick so that requests issued together (Promise.all) are all collected.
    return new Promise((_, reject) => setImmediate(() => reject(new InputRequiredSignal(this))));
  }
}
