/**
 * Plumbing shared by the methods that may ask the client for input
 * (tools/call, prompts/get, resources/read): picking the input channel for the
 * era, and turning a stateless round that lacks answers into `input_required`.
 */
import { JsonRpcErrorCode, McpdError } from '../../chassis/errors.js';
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { InputRequiredSignal, SessionInputChannel, StatelessInputChannel, type InputChannel } from '../input.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function inputChannelFor(ctx: RequestContext, engine: Engine, target: string): InputChannel | undefined {
  if (ctx.era === 'sessionful') {
    const session = ctx.session;
    if (!session) return undefined;
    return new SessionInputChannel(session, (message) => ctx.exchange.send(message), ctx.signal, engine.clientRequestTimeoutMs);
  }
  const responses: Record<string, unknown> = {};
  const state = ctx.params.requestState;
  if (state !== undefined) {
    const opened = engine.requestState.open(state, ctx.method, target);
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
    requestState: engine.requestState.seal(ctx.method, target, channel.used),
  };
}

export { InputRequiredSignal };
