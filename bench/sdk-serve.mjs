// Serves an official-SDK v2 server factory statelessly (2026-07-28, createMcpHandler) on /mcp for the
// benchmarks' SDK variants (bench/sdk-db-server.mjs, bench/sdk-http-server.mjs): PORT from the environment,
// keep-alive held open, `close` awaited on SIGTERM/SIGINT before exiting.
import { createServer } from 'node:http';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';

export function serveSdk(build, label, close = async () => {}) {
  const handler = toNodeHandler(createMcpHandler(() => build(), { legacy: 'reject' }));
  const server = createServer(async (req, res) => {
    try {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return void res.writeHead(404).end();
      await handler(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    }
  });
  server.keepAliveTimeout = 60_000;
  const port = Number(process.env.PORT ?? 3000);
  server.listen(port, '127.0.0.1', () => process.stderr.write(`${label} on http://127.0.0.1:${port}/mcp\n`));
  const stop = () => server.close(() => void close().finally(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
