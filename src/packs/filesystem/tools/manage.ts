/** Moving and deleting: `fs_move` (never overwriting unless asked) and `fs_delete` (off unless enabled). */
import { z } from 'zod';
import type { ToolDefinition } from '../../../api/types.js';
import { sandboxFor, type FilesystemTools } from '../access.js';

export function moveTool(tools: FilesystemTools): ToolDefinition<any, any> {
  return {
    name: 'fs_move',
    title: 'Move or rename',
    description: 'Move or rename a file or directory within the roots. Refuses to replace an existing destination unless `overwrite` is true.',
    input: z.object({ from: z.string().min(1).max(4096), to: z.string().min(1).max(4096), overwrite: z.boolean().default(false) }),
    output: z.object({ from: z.string(), to: z.string() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async (args: { from: string; to: string; overwrite: boolean }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const moved = await sandbox.move(args.from, args.to, { overwrite: args.overwrite });
      return { from: moved.from.display, to: moved.to.display };
    },
  };
}

export function deleteTool(tools: FilesystemTools): ToolDefinition<any, any> {
  return {
    name: 'fs_delete',
    title: 'Delete',
    description: 'Delete a file, a symlink (not its target), or a directory (`recursive: true` for a non-empty one).',
    input: z.object({ path: z.string().min(1).max(4096), recursive: z.boolean().default(false) }),
    output: z.object({ path: z.string(), removed: z.number() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    handler: async (args: { path: string; recursive: boolean }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const removed = await sandbox.remove(args.path, { recursive: args.recursive });
      return { path: removed.located.display, removed: removed.removed };
    },
  };
}
