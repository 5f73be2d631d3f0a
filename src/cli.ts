#!/usr/bin/env node
/**
 * The `mcpd` command. `mcpd serve` runs the server over Streamable HTTP
 * (default) or stdio. In stdio mode nothing but protocol reaches stdout.
 */
import { parseArgs } from 'node:util';
import { createServer } from './server.js';
import { VERSION } from './version.js';

const HELP = `mcpd ${VERSION} — production-grade MCP server

Usage:
  mcpd serve [--transport http|stdio] [--host H] [--port N]
  mcpd --version | --help

Options:
  --transport  http (default) or stdio
  --host       HTTP bind address (default 127.0.0.1)
  --port       HTTP port (default 3000, or $PORT)
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      transport: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  if (values.help || command !== 'serve') {
    (values.help ? process.stdout : process.stderr).write(HELP);
    return values.help ? 0 : 2;
  }
  const server = createServer({ name: 'mcpd', version: VERSION });
  const transport = values.transport ?? 'http';
  if (transport === 'stdio') {
    const served = server.serveStdio();
    await served.closed;
    await server.close();
    return 0;
  }
  if (transport !== 'http') {
    process.stderr.write(`Unknown transport "${transport}" (expected http or stdio)\n`);
    return 2;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const http = await server.listenHttp({ host: values.host ?? '127.0.0.1', port });
  process.stderr.write(`${JSON.stringify({ level: 'info', msg: 'mcpd listening', url: http.url })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mcpd: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
