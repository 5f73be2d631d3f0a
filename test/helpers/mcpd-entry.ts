/**
 * Test-only entry point: the assembled mcpd (config from loadConfig, i.e.
 * config/<env>.yaml < MCPD_* env) with a few test tools, and the same signal
 * handling as `mcpd serve` (src/cli.ts): the first SIGTERM/SIGINT drains and
 * exits 0 (also when the drain deadline cut it short: that is logged with the
 * count); a second one exits 1 at once. Keep this in step with src/cli.ts.
 *
 * Run with `node --import tsx test/helpers/mcpd-entry.ts`. The URL is in the
 * `mcpd started` log line (JSON, stdout in HTTP mode, stderr in stdio mode).
 *
 * Tools:
 *   slow   sleeps TEST_SLOW_MS (default 300) ignoring its signal, then echoes `text`
 *   stuck  sleeps TEST_STUCK_MS (default 30000) ignoring its signal
 *   leaky  logs { password, token } through ctx.logger (redaction check)
 * Each logs `<name> begin` through ctx.logger when entered.
 */
import { z } from 'zod';
import { createMcpd } from '../../src/app/mcpd.js';
import { loadConfig } from '../../src/app/config.js';
import { runMcpd } from '../../src/app/run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_MS = Number(process.env.TEST_SLOW_MS ?? 300);
const STUCK_MS = Number(process.env.TEST_STUCK_MS ?? 30_000);

const { config } = loadConfig();
const mcpd = createMcpd(config, {
  register(server) {
    server.tool({
      name: 'slow',
      description: 'Sleeps, then echoes',
      input: z.object({ text: z.string() }),
      async handler({ text }, ctx) {
        ctx.logger.info({ phase: 'begin' }, 'slow begin');
        await sleep(SLOW_MS);
        return `echo: ${text}`;
      },
    });
    server.tool({
      name: 'stuck',
      description: 'Sleeps for a long time, ignoring cancellation',
      async handler(_args, ctx) {
        ctx.logger.info({ phase: 'begin' }, 'stuck begin');
        await sleep(STUCK_MS);
        return 'finally';
      },
    });
    server.tool({
      name: 'leaky',
      description: 'Logs credentials through the server log',
      handler(_args, ctx) {
        ctx.logger.info({ password: 'hunter2-top-level', token: 'tok-top-level', nested: { password: 'hunter2-nested' } }, 'leaky logged');
        return 'logged';
      },
    });
  },
});

// The same process handling as `mcpd serve` (src/app/run.ts).
const failedStart = await runMcpd(mcpd);
process.exit(failedStart);
