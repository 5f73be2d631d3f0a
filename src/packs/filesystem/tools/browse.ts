/**
 * Looking around: `fs_list` (one directory), `fs_tree` (depth and entry
 * caps, never following symlinks) and `fs_info` (one entry's metadata).
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../../api/types.js';
import { sandboxFor, type FilesystemTools } from '../access.js';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const entry = z.looseObject({ name: z.string(), display: z.string(), type: z.string(), size: z.number(), modified: z.string() });

function describeSize(size: number): string {
  return size < 1024 ? `${size} B` : size < 1024 * 1024 ? `${(size / 1024).toFixed(1)} KiB` : `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

export function listTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_list',
    title: 'List a directory',
    description: `List a directory: names, types (file, directory, symlink), sizes and modification times. Without \`path\`: the roots. At most ${settings.tree.maxEntries} entries.`,
    input: z.object({ path: z.string().min(1).max(4096).optional() }),
    output: z.object({ path: z.string(), entries: z.array(entry), truncated: z.boolean() }),
    annotations: READ_ONLY,
    handler: async (args: { path?: string }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      if (!args.path) {
        // A root's display path is what the other tools accept: `.` for the first, the absolute path otherwise.
        const roots = sandbox.roots.map((root, index) => ({ name: root.name, display: index === 0 ? '.' : root.path, type: 'directory', size: 0, modified: '' }));
        return { content: [{ type: 'text', text: roots.map((root) => `[root] ${root.name}`).join('\n') || '(no roots)' }], structuredContent: { path: '', entries: roots, truncated: false } };
      }
      // One more than is shown tells whether there were more.
      const { located, entries } = await sandbox.readDir(args.path, { limit: settings.tree.maxEntries + 1 });
      const shown = entries.slice(0, settings.tree.maxEntries);
      const text = shown.map((item) => `${item.type === 'directory' ? '[dir] ' : item.type === 'symlink' ? '[link]' : '[file]'} ${item.name}${item.type === 'file' ? ` (${describeSize(item.size)})` : ''}`).join('\n');
      return {
        content: [{ type: 'text', text: text || '(empty)' }],
        structuredContent: { path: located.display, entries: shown, truncated: entries.length > shown.length },
      };
    },
  };
}

export function treeTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_tree',
    title: 'Show a directory tree',
    description: `The tree under a directory, depth-first, at most ${settings.tree.maxDepth} levels and ${settings.tree.maxEntries} entries (flagged \`truncated\`). Symlinks are shown, never followed.`,
    input: z.object({
      path: z.string().min(1).max(4096).default('.'),
      maxDepth: z.number().int().positive().max(settings.tree.maxDepth).optional(),
      maxEntries: z.number().int().positive().max(settings.tree.maxEntries).optional(),
    }),
    output: z.object({ path: z.string(), entries: z.array(entry.extend({ depth: z.number() })), truncated: z.boolean() }),
    annotations: READ_ONLY,
    handler: async (args: { path: string; maxDepth?: number; maxEntries?: number }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const located = sandbox.locate(args.path);
      const maxEntries = args.maxEntries ?? settings.tree.maxEntries;
      const entries = [];
      let truncated = false;
      for await (const item of sandbox.walk(args.path, { maxDepth: args.maxDepth ?? settings.tree.maxDepth, maxEntries: maxEntries + 1, signal: ctx.signal })) {
        if (entries.length === maxEntries) {
          truncated = true;
          break;
        }
        entries.push(item);
      }
      const text = entries.map((item) => `${'  '.repeat(item.depth)}${item.name}${item.type === 'directory' ? '/' : item.type === 'symlink' ? ' ->' : ''}`).join('\n');
      return { content: [{ type: 'text', text: `${located.display}/\n${text}${truncated ? '\n…(truncated)' : ''}` }], structuredContent: { path: located.display, entries, truncated } };
    },
  };
}

export function infoTool(tools: FilesystemTools): ToolDefinition<any, any> {
  return {
    name: 'fs_info',
    title: 'File information',
    description: 'Type, size, times, permissions and link count of a file or directory (a symlink is described, not followed).',
    input: z.object({ path: z.string().min(1).max(4096) }),
    output: entry.extend({ permissions: z.string(), links: z.number(), created: z.string().optional() }),
    annotations: READ_ONLY,
    handler: async (args: { path: string }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const stat = await sandbox.stat(args.path);
      return { ...stat.info, permissions: stat.permissions, links: stat.links, ...(stat.created ? { created: stat.created } : {}) };
    },
  };
}
