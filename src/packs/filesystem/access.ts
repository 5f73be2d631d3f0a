/**
 * The sandbox a call may use: the configured roots, narrowed to the client's
 * MCP roots when the client offers them (both eras: a session request, or an
 * input round in the stateless era). Never wider than the configuration.
 */
import type { HandlerContext } from '../../api/types.js';
import { McpdError } from '../../chassis/errors.js';
import type { Sandbox } from './sandbox/index.js';
import type { FilesystemSettings } from './settings.js';

export interface FilesystemTools {
  settings: FilesystemSettings;
  /** Set when the pack starts (roots resolved). */
  sandbox(): Sandbox;
}

export async function sandboxFor(tools: FilesystemTools, ctx: HandlerContext & { listRoots?(): Promise<{ roots: { uri: string }[] }> }): Promise<Sandbox> {
  const base = tools.sandbox();
  if (!tools.settings.clientRoots || !ctx.clientCapabilities.roots || !ctx.listRoots) return base;
  let roots: { uri: string }[];
  try {
    roots = (await ctx.listRoots()).roots ?? [];
  } catch (error) {
    // An input round of the stateless era travels as a signal: let it through.
    if (error instanceof McpdError || (error as { name?: string })?.name === 'InputRequiredSignal') throw error;
    throw new McpdError('UNAVAILABLE', "The client's roots could not be read; try again", { cause: error });
  }
  return base.narrow(roots.map((root) => root.uri));
}
