// A stdio server whose tools log, report progress, throw, and write to the
// console: stdout must still carry nothing but JSON-RPC. Imports the build
// (run `npx tsc -p tsconfig.build.json` first).
import { z } from 'zod';
import { createServer, McpdError } from '../../dist/index.js';

const server = createServer({ name: 'noisy-stdio', version: '1.0.0' })
  .tool({ name: 'echo', input: z.object({ text: z.string() }), handler: ({ text }) => text })
  .tool({
    name: 'chatty',
    description: 'Logs to the client and reports progress',
    handler(_args, ctx) {
      ctx.log.info('hello from the tool');
      ctx.log.warning({ detail: 'structured log data', n: 1 });
      ctx.log.debug('below the threshold');
      ctx.progress(1, 2, 'half way');
      process.stderr.write('chatty: a diagnostic line on stderr\n');
      return 'chatty done';
    },
  })
  .tool({
    name: 'explode',
    description: 'Throws an unexpected error',
    handler() {
      throw new Error('kaboom: secret internal detail');
    },
  })
  .tool({
    name: 'explode_async',
    description: 'Rejects with an unexpected error',
    async handler() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new TypeError('async kaboom');
    },
  })
  .tool({
    name: 'explode_protocol',
    description: 'Fails with a protocol error',
    handler() {
      throw new McpdError('INTERNAL', 'protocol-level failure', { protocol: true });
    },
  })
  .tool({
    name: 'console_logger',
    description: 'Writes to the console like careless tool code does',
    handler() {
      console.log('console.log from a tool');
      console.info('console.info from a tool');
      console.debug('console.debug from a tool');
      return 'console written';
    },
  });

await server.serveStdio().closed;
await server.close();
process.exit(0);
