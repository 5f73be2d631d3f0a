/**
 * Test helpers: start real mcpd servers on loopback ports and stop them.
 */
import { buildConformanceServer } from '../../src/fixtures/conformance-server.js';
import type { McpServer } from '../../src/index.js';
import type { HttpTransportOptions } from '../../src/transports/http/server.js';

export interface RunningServer {
  server: McpServer;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The conformance fixture (every kind of tool, resource and prompt) on an ephemeral loopback port. */
export async function startFixture(options: Partial<HttpTransportOptions> = {}, build: () => McpServer = buildConformanceServer): Promise<RunningServer> {
  const server = build();
  const http = await server.listenHttp({ host: '127.0.0.1', port: 0, ...options });
  const port = Number(new URL(http.url).port);
  return { server, url: http.url, port, close: () => server.close() };
}

export const STATELESS_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1.0.0' },
};

/** A raw 2026-07-28 POST with the routing headers filled in. */
export async function statelessPost(url: string, method: string, params: Record<string, unknown> = {}, extraHeaders: Record<string, string> = {}, id: number | string = 1) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  const name = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
  if (typeof name === 'string') headers['mcp-name'] = name;
  const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: { ...STATELESS_META, ...((params._meta as object) ?? {}) } } });
  const response = await fetch(url, { method: 'POST', headers: { ...headers, ...extraHeaders }, body });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  let json: any;
  if (type.includes('text/event-stream')) {
    const messages = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.length > 6)
      .map((line) => JSON.parse(line.slice(6)));
    json = messages.find((message) => message.id === id);
    return { status: response.status, json, messages, headers: response.headers };
  }
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, messages: json ? [json] : [], headers: response.headers };
}
