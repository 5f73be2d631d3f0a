/**
 * The dispatch table: every method mcpd serves, and the era it belongs to.
 */
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import type { Era } from '../versions.js';
import { complete, getPrompt, listPrompts, listResources, listResourceTemplates, readResource, subscribeResource, unsubscribeResource } from './content.js';
import { discover, initialize, listen, ping, setLogLevel } from './lifecycle.js';
import { cancelTask, getTask, updateTask } from './tasks.js';
import { callTool, listTools } from './tools.js';

export type MethodHandler = (ctx: RequestContext, engine: Engine) => unknown;

export interface MethodEntry {
  era: Era | 'both';
  handler: MethodHandler;
}

export const METHODS: ReadonlyMap<string, MethodEntry> = new Map<string, MethodEntry>([
  ['initialize', { era: 'sessionful', handler: initialize }],
  ['ping', { era: 'sessionful', handler: ping }],
  ['logging/setLevel', { era: 'sessionful', handler: setLogLevel }],
  ['resources/subscribe', { era: 'sessionful', handler: subscribeResource }],
  ['resources/unsubscribe', { era: 'sessionful', handler: unsubscribeResource }],
  ['server/discover', { era: 'stateless', handler: discover }],
  ['subscriptions/listen', { era: 'stateless', handler: listen }],
  ['tasks/get', { era: 'both', handler: getTask }],
  ['tasks/update', { era: 'both', handler: updateTask }],
  ['tasks/cancel', { era: 'both', handler: cancelTask }],
  ['tools/list', { era: 'both', handler: listTools }],
  ['tools/call', { era: 'both', handler: callTool }],
  ['resources/list', { era: 'both', handler: listResources }],
  ['resources/templates/list', { era: 'both', handler: listResourceTemplates }],
  ['resources/read', { era: 'both', handler: readResource }],
  ['prompts/list', { era: 'both', handler: listPrompts }],
  ['prompts/get', { era: 'both', handler: getPrompt }],
  ['completion/complete', { era: 'both', handler: complete }],
]);

const LIST_METHODS = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);

/**
 * 2026-07-28 results carry `resultType`; list, read and discover results carry
 * caching hints. Handlers' objects are copied, never mutated (they may be shared).
 */
export function decorateStatelessResult(ctx: RequestContext, engine: Engine): unknown {
  const result = ctx.result;
  if (typeof result !== 'object' || result === null) return { resultType: 'complete' };
  const decorated: Record<string, unknown> = { resultType: 'complete', ...(result as Record<string, unknown>) };
  if (decorated.resultType !== 'complete') return decorated;
  if (LIST_METHODS.has(ctx.method)) {
    decorated.ttlMs ??= engine.listCache.ttlMs;
    decorated.cacheScope ??= engine.listCache.cacheScope;
  } else if (ctx.method === 'server/discover') {
    decorated.ttlMs ??= engine.listCache.ttlMs;
    decorated.cacheScope ??= 'public';
  } else if (ctx.method === 'resources/read') {
    decorated.ttlMs ??= 0;
    decorated.cacheScope ??= 'private';
  }
  return decorated;
}
