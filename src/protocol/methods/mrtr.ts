/**
 * Plumbing shared by the methods that may ask the client for input
 * (tools/call, prompts/get, resources/read): picking the input channel for the
 * era, and turning a stateless round that lacks answers into `input_required`.
 */
import { createHash } from 'node:crypto';
import { JsonRpcErrorCode, McpdError } from '../../chassis/errors.js';
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { InputRequiredSignal, SessionInputChannel, StatelessInputChannel, type InputChannel } from '../input.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a sealed requestState is bound to: the request's target, its arguments
 * and the caller, so answers gathered for one call cannot be replayed into another.
 */
function stateBinding(ctx: RequestContext, target: string): string {
  const digest = createHash('sha256').update(canonicalJson(ctx.params.arguments ?? null)).digest('base64url');
  return `${target}\u0000${digest}\u0000${ctx.identity?.subject ?? ''}`;
}

/** JSON with object keys sorted, so equal arguments give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function inputChannelFor(ctx: RequestContext, engine: Engine, target: string): InputChannel | undefined {
  if (ctx.era === 'sessionful') {
    const session = ctx.session;
    if (!session) return undefined;
    return new SessionInputChannel(session, (message) => ctx.exchange.send(message), ctx.signal, engine.clientRequestTimeoutMs);
  }
  const responses: Record<string, unknown> = Object.create(null);
  const state = ctx.params.requestState;
  if (state !== undefined) {
    const opened = engine.requestState.open(state, ctx.method, stateBinding(ctx, target));
    if (!opened) {
      throw new McpdError('VALIDATION_ERROR', 'Invalid or expired requestState', {
        data: { reason: 'invalid_request_state' },
        jsonRpcCode: JsonRpcErrorCode.INVALID_PARAMS,
        protocol: true,
      });
    }
    Object.assign(responses, opened.responses);
  }
  const given = ctx.params.inputResponses;
  if (isObject(given)) {
    for (const [key, value] of Object.entries(given)) if (isObject(value)) responses[key] = value;
  }
  return new StatelessInputChannel(responses, ctx.clientCapabilities);
}

/** The InputRequiredResult for a round that needs more answers. */
export function inputRequired(ctx: RequestContext, engine: Engine, signal: InputRequiredSignal, target: string): Record<string, unknown> {
  const channel = signal.collector;
  return {
    resultType: 'input_required',
    inputRequests: channel.missing,
    requestState: engine.requestState.seal(ctx.method, stateBinding(ctx, target), channel.used),
  };
}

export { InputRequiredSignal };
