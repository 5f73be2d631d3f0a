/**
 * The README's first example: a server with one tool, one resource and one
 * prompt, plus a middleware that times every request. Run it with
 * `npx tsx examples/quickstart.ts` (serves http://127.0.0.1:3000/mcp), or import
 * `buildQuickstart()` (the test suite does).
 */
import { z } from 'zod';
import { createServer, McpdError } from '../src/index.js';

export function buildQuickstart() {
  const server = createServer({ name: 'quickstart', version: '1.0.0' });

  server.tool({
    name: 'add',
    description: 'Adds two numbers',
    input: z.object({ a: z.number(), b: z.number() }),
    output: z.object({ sum: z.number() }),
    annotations: { readOnlyHint: true },
    handler: ({ a, b }) => ({ sum: a + b }),
  });

  server.tool({
    name: 'confirm_greeting',
    description: 'Asks the user for their name, then greets them (works in both protocol eras)',
    async handler(_args, ctx) {
      const answer = await ctx.elicit(
        { message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
        'name',
      );
      if (answer.action !== 'accept') throw new McpdError('CANCELLED', 'The user declined');
      return `Hello, ${String(answer.content?.name)}!`;
    },
  });

  server.resource({
    uri: 'docs://readme',
    name: 'readme',
    mimeType: 'text/markdown',
    read: () => '# Quickstart\nThis server adds numbers.',
  });

  server.prompt({
    name: 'explain_sum',
    description: 'Asks the model to explain a sum',
    arguments: z.object({ a: z.string(), b: z.string() }),
    get: ({ a, b }) => `Explain step by step why ${a} + ${b} = ${Number(a) + Number(b)}.`,
  });

  const timings: { method: string; ms: number; ok: boolean }[] = [];
  server.use(async (ctx, next) => {
    await next();
    timings.push({ method: ctx.method, ms: ctx.elapsedMs(), ok: ctx.error === undefined });
  });

  return { server, timings };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { server } = buildQuickstart();
  const http = await server.listenHttp({ port: 3000 });
  console.error(`listening on ${http.url}`);
}
