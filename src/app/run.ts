/**
 * Running an assembled mcpd as a process: start it, and stop it gracefully on
 * SIGTERM/SIGINT (or, in stdio mode, when the client closes stdin). A second
 * signal exits at once. Resolves only with a failed start's exit code; a
 * running server ends the process itself.
 */
import { StartupError } from '../chassis/lifecycle.js';
import type { Mcpd } from './mcpd.js';

export async function runMcpd(mcpd: Mcpd): Promise<number> {
  let stopping: Promise<number> | undefined;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal: the operator wants out now.
      mcpd.logger.warn({ signal }, 'second signal, exiting without waiting');
      process.exit(1);
    }
    // A drain cut short by its deadline is still an orderly stop (logged with the count): exit 0.
    stopping = mcpd.shutdown(signal).then(() => 0);
    void stopping.then((code) => process.exit(code));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await mcpd.start();
  } catch (error) {
    mcpd.logger.fatal({ err: error }, error instanceof StartupError ? error.message : 'startup failed');
    await new Promise<void>((resolve) => mcpd.logger.flush(() => resolve()));
    return 1;
  }
  if (mcpd.config.server.transport === 'stdio') {
    // The client closing stdin ends a stdio server.
    process.stdin.once('end', () => stop('stdin closed'));
  }
  return new Promise<number>(() => {});
}
