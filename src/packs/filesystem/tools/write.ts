/**
 * Changing tools: `fs_write` (atomic: a temporary file in the same
 * directory, fsync, rename), `fs_edit` (exact search/replace blocks, with a
 * dry run that returns the unified diff) and `fs_mkdir`.
 */
import { createTwoFilesPatch } from 'diff';
import { z } from 'zod';
import type { ToolDefinition } from '../../../api/types.js';
import { McpdError } from '../../../chassis/errors.js';
import { sandboxFor, type FilesystemTools } from '../access.js';
import { applyEdits, type Edit } from '../edit.js';
import { readUpTo } from '../read-limited.js';
import { looksBinary } from '../text.js';

export function writeTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_write',
    title: 'Write a file',
    description:
      'Write a text file atomically (readers see the old content or the new, never a mix). Refuses to replace an existing file unless `overwrite` is true; ' +
      '`createParents` creates missing directories.',
    input: z.object({
      path: z.string().min(1).max(4096),
      content: z.string().max(settings.maxWriteBytes),
      overwrite: z.boolean().default(false),
      createParents: z.boolean().default(false),
    }),
    output: z.object({ path: z.string(), bytes: z.number(), created: z.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async (args: { path: string; content: string; overwrite: boolean; createParents: boolean }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const written = await sandbox.writeAtomic(args.path, args.content, { overwrite: args.overwrite, createParents: args.createParents });
      return { path: written.located.display, bytes: written.bytes, created: written.created };
    },
  };
}

export function editTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_edit',
    title: 'Edit a file',
    description:
      'Replace exact text in a file: each edit names `oldText` (which must occur exactly once) and `newText`; edits apply in order. ' +
      'Returns a unified diff; with `dryRun` nothing is written. The file is written atomically.',
    input: z.object({
      path: z.string().min(1).max(4096),
      edits: z
        .array(z.object({ oldText: z.string().min(1).max(settings.maxWriteBytes), newText: z.string().max(settings.maxWriteBytes) }))
        .min(1)
        .max(100),
      dryRun: z.boolean().default(false),
    }),
    output: z.object({ path: z.string(), diff: z.string(), applied: z.number(), written: z.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async (args: { path: string; edits: Edit[]; dryRun: boolean }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const { handle, located } = await sandbox.openRead(args.path);
      let before: string;
      try {
        const { bytes, more } = await readUpTo(handle, settings.maxWriteBytes);
        if (more) throw new McpdError('VALIDATION_ERROR', `${located.display} is larger than ${settings.maxWriteBytes} bytes`);
        if (looksBinary(bytes)) throw new McpdError('VALIDATION_ERROR', `${located.display} is a binary file`);
        before = bytes.toString('utf8');
      } finally {
        await handle.close();
      }
      const after = applyEdits(before, args.edits, located.display);
      if (Buffer.byteLength(after) > settings.maxWriteBytes) throw new McpdError('VALIDATION_ERROR', `The edited file would be larger than ${settings.maxWriteBytes} bytes`);
      const diff = createTwoFilesPatch(located.display, located.display, before, after, undefined, undefined, { context: 3 });
      if (!args.dryRun) await sandbox.writeAtomic(located.absolute, after, { overwrite: true, createParents: false });
      return {
        content: [{ type: 'text', text: diff }],
        structuredContent: { path: located.display, diff, applied: args.edits.length, written: !args.dryRun },
      };
    },
  };
}

export function mkdirTool(tools: FilesystemTools): ToolDefinition<any, any> {
  return {
    name: 'fs_mkdir',
    title: 'Create a directory',
    description: 'Create a directory (and missing parents unless `parents` is false). Succeeds if it already exists.',
    input: z.object({ path: z.string().min(1).max(4096), parents: z.boolean().default(true) }),
    output: z.object({ path: z.string(), created: z.boolean() }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args: { path: string; parents: boolean }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const made = await sandbox.mkdir(args.path, { parents: args.parents });
      return { path: made.located.display, created: made.created };
    },
  };
}
