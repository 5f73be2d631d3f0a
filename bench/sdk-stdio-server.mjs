// Official MCP TypeScript SDK v2 stdio echo server: serveStdio picks the era per connection
// (2025 initialize or 2026 server/discover). Run: node bench/sdk-stdio-server.mjs
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod/v4';

serveStdio(() => {
  const server = new McpServer({ name: 'sdk-echo-stdio', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
});
