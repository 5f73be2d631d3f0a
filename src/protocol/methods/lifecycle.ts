/**
 * Lifecycle and utility methods: the 2025-era handshake (initialize, ping,
 * logging/setLevel) and the 2026-era discovery and notification stream
 * (server/discover, subscriptions/listen).
 */
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { isLogLevel } from '../handler-context.js';
import { serializeNotification } from '../jsonrpc.js';
import type { SubscriptionFilter } from '../listen-hub.js';
import { MetaKey, negotiateSessionfulVersion, STATELESS_VERSIONS } from '../versions.js';
import { invalidParams } from './tools.js';

export function initialize(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  const session = ctx.session;
  if (!session) throw invalidParams('initialize needs a session-capable transport');
  const params = ctx.params;
  const protocolVersion = negotiateSessionfulVersion(params.protocolVersion);
  session.protocolVersion = protocolVersion;
  ctx.protocolVersion = protocolVersion;
  const capabilities = params.capabilities;
  session.clientCapabilities = typeof capabilities === 'object' && capabilities !== null ? (capabilities as Record<string, unknown>) : {};
  session.clientInfo = typeof params.clientInfo === 'object' && params.clientInfo !== null ? (params.clientInfo as Record<string, unknown>) : undefined;
  const result: Record<string, unknown> = {
    protocolVersion,
    capabilities: engine.capabilities('sessionful'),
    serverInfo: engine.serverInfo,
  };
  if (engine.instructions) result.instructions = engine.instructions;
  return result;
}

export function ping(): Record<string, unknown> {
  return {};
}

export function setLogLevel(ctx: RequestContext): Record<string, unknown> {
  const level = ctx.params.level;
  if (!isLogLevel(level)) throw invalidParams(`Invalid params: unknown log level ${String(level)}`);
  if (ctx.session) ctx.session.logLevel = level;
  return {};
}

export function discover(_ctx: RequestContext, engine: Engine): Record<string, unknown> {
  const result: Record<string, unknown> = {
    supportedVersions: [...STATELESS_VERSIONS],
    capabilities: engine.capabilities('stateless'),
    _meta: { [MetaKey.serverInfo]: engine.serverInfo },
  };
  if (engine.instructions) result.instructions = engine.instructions;
  return result;
}

const FILTER_FLAGS = ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const;

/**
 * Holds the request open as a notification stream until the client goes away.
 * The acknowledgement comes first and names the notifications honoured.
 */
export async function listen(ctx: RequestContext, engine: Engine): Promise<Record<string, unknown>> {
  const requested = ctx.params.notifications;
  if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) {
    throw invalidParams('Invalid params: subscriptions/listen needs a notifications filter');
  }
  const filter: SubscriptionFilter = {};
  const asked = requested as Record<string, unknown>;
  for (const flag of FILTER_FLAGS) if (asked[flag] === true) filter[flag] = true;
  if (Array.isArray(asked.resourceSubscriptions)) {
    filter.resourceSubscriptions = asked.resourceSubscriptions.filter((uri): uri is string => typeof uri === 'string');
  }
  const meta = { [MetaKey.subscriptionId]: ctx.id };
  const send = (message: string) => ctx.exchange.send(message);
  send(serializeNotification('notifications/subscriptions/acknowledged', { _meta: meta, notifications: filter }));
  const remove = engine.listen.add(ctx.id, filter, send);
  let stopWaitingForClose: (() => void) | undefined;
  try {
    await new Promise<void>((resolve) => {
      const signal = ctx.signal;
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      stopWaitingForClose = engine.onClose(resolve);
    });
  } finally {
    remove();
    stopWaitingForClose?.();
  }
  return { _meta: { ...meta, [MetaKey.serverInfo]: engine.serverInfo } };
}
