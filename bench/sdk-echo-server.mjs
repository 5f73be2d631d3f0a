// Official MCP TypeScript SDK v2 echo server (the comparison target).
// One port, both eras, wired the way the SDK's docs/examples do it:
//  - 2026-07-28 stateless: createMcpHandler (fresh McpServer per HTTP request) via @modelcontextprotocol/node
//  - 2025-11-25 sessionful: NodeStreamableHTTPServerTransport + one McpServer per session
// Run: PORT=3000 node bench/sdk-echo-server.mjs
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createMcpHandler, isInitializeRequest, isLegacyRequest, McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import * as z from 'zod/v4';

export function buildSdkEchoServer() {
  const server = new McpServer({ name: 'sdk-echo', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
}

/** Builds the node:http request listener plus the session map (exposed for the memory benchmarks). */
export function createSdkEchoListener() {
  const modern = toNodeHandler(createMcpHandler(() => buildSdkEchoServer(), { legacy: 'reject' }));
  const sessions = new Map();

  async function handleLegacy(req, res, body) {
    const sid = req.headers['mcp-session-id'];
    const existing = sid ? sessions.get(sid) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (!sid && req.method === 'POST' && isInitializeRequest(body)) {
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: process.env.SDK_JSON_RESPONSE === '1', // SDK default: false (answers POSTs with SSE)
        onsessioninitialized: (id) => void sessions.set(id, transport),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await buildSdkEchoServer().connect(transport);
      return transport.handleRequest(req, res, body);
    }
    res.writeHead(sid ? 404 : 400, { 'content-type': 'application/json' }).end(
      JSON.stringify({ jsonrpc: '2.0', error: { code: sid ? -32001 : -32000, message: sid ? 'Session not found' : 'Bad Request' }, id: null }),
    );
  }

  const listener = async (req, res) => {
    try {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return void res.writeHead(404).end();
      if (req.method !== 'POST') return await handleLegacy(req, res);
      // Fast routes (cheap header checks, so the SDK is not charged for a second body read):
      //  - a 2026-07-28 request goes straight to createMcpHandler, which classifies and validates it itself;
      //  - a request on an existing 2025 session goes straight to its transport, which parses the body itself.
      if (req.headers['mcp-protocol-version'] === '2026-07-28') return await modern(req, res);
      if (req.headers['mcp-session-id']) return await handleLegacy(req, res);
      // Anything else (initialize, malformed traffic): classify the body, as the SDK's legacy-routing example does.
      const webReq = await toWebRequest(req); // drains the Node stream once
      const text = await webReq.clone().text();
      let body;
      try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
      if (await isLegacyRequest(webReq, body)) return await handleLegacy(req, res, body);
      return await modern(req, res, body);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  };
  return { listener, sessions };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { listener } = createSdkEchoListener();
  const port = Number(process.env.PORT ?? 3000);
  const server = createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.stderr.write(`sdk echo on http://127.0.0.1:${port}/mcp\n`));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
