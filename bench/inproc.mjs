// Starts the echo workload in this process (for the heap measurements) on 127.0.0.1:<random>.
//  - mcpd: imports /work/main/dist/index.js and builds the same server as dist/fixtures/echo-server.js
//  - sdk:  the official SDK v2 server from bench/sdk-echo-server.mjs (sessionful 2025 + stateless 2026)
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HOST } from './lib.mjs';

const DIST_INDEX = fileURLToPath(new URL('../dist/index.js', import.meta.url));

export async function startInProcess(target) {
  if (target === 'mcpd') {
    const { createServer } = await import(DIST_INDEX);
    const server = createServer({ name: 'mcpd-echo', version: '1.0.0' }).tool({
      name: 'echo',
      description: 'Echoes the text back',
      input: z.object({ text: z.string() }),
      handler: ({ text }) => text,
    });
    const transport = await server.listenHttp({ host: HOST, port: 0 });
    return {
      url: transport.url,
      sessionCount: () => server.engine.sessions.size,
      close: () => server.close(),
    };
  }
  if (target === 'sdk') {
    const { createSdkEchoListener } = await import('./sdk-echo-server.mjs');
    const { listener, sessions } = createSdkEchoListener();
    const server = createHttpServer(listener);
    await new Promise((resolve) => server.listen(0, HOST, resolve));
    return {
      url: `http://${HOST}:${server.address().port}/mcp`,
      sessionCount: () => sessions.size,
      close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
    };
  }
  throw new Error(`unknown target ${target}`);
}
