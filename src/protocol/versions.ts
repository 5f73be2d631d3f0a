/**
 * Protocol revisions mcpd speaks, and the era each belongs to.
 *
 * - stateless (2026-07-28): no initialize, every request carries its own `_meta`
 *   envelope (protocol version, client capabilities, client info).
 * - sessionful (2024-11-05 … 2025-11-25): initialize handshake, a session per client.
 */

export const STATELESS_VERSION = '2026-07-28';
export const LATEST_SESSIONFUL_VERSION = '2025-11-25';

export const SESSIONFUL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
export const STATELESS_VERSIONS: readonly string[] = [STATELESS_VERSION];
export const SUPPORTED_VERSIONS: readonly string[] = [...STATELESS_VERSIONS, ...SESSIONFUL_VERSIONS];

export type Era = 'stateless' | 'sessionful';

export const isStatelessVersion = (version: string): boolean => STATELESS_VERSIONS.includes(version);
export const isSessionfulVersion = (version: string): boolean => SESSIONFUL_VERSIONS.includes(version);

/** The version a sessionful server answers an initialize with. */
export function negotiateSessionfulVersion(requested: unknown): string {
  return typeof requested === 'string' && isSessionfulVersion(requested) ? requested : LATEST_SESSIONFUL_VERSION;
}

/** `_meta` keys of the 2026-07-28 request/response envelope. */
export const MetaKey = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
  relatedTask: 'io.modelcontextprotocol/related-task',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;
