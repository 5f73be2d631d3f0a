/**
 * Reading tools: `fs_read` (text, one file or several, line ranges or
 * head/tail, capped) and `fs_read_media` (images and audio as their content
 * types, other binary as an embedded resource).
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ToolDefinition } from '../../../api/types.js';
import { McpdError } from '../../../chassis/errors.js';
import { sandboxFor, type FilesystemTools } from '../access.js';
import { mimeTypeOf } from '../mime.js';
import { readUpTo } from '../read-limited.js';
import type { Sandbox } from '../sandbox/index.js';
import { looksBinary, selectLines, type LineSelection } from '../text.js';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

interface TextRead {
  path: string;
  text?: string;
  error?: string;
  startLine?: number;
  endLine?: number;
  totalLines?: number;
  truncated?: boolean;
  bytes?: number;
}

async function readText(sandbox: Sandbox, path: string, selection: LineSelection, maxBytes: number): Promise<TextRead> {
  const { handle, located, size } = await sandbox.openRead(path);
  try {
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const bytes = buffer.subarray(0, filled);
    if (looksBinary(bytes)) throw new McpdError('VALIDATION_ERROR', `${located.display} is a binary file; use fs_read_media`);
    // A character cut at the cap is dropped rather than shown broken.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '');
    const selected = selectLines(text, selection);
    return { path: located.display, text: selected.text, startLine: selected.startLine, endLine: selected.endLine, totalLines: selected.totalLines, truncated: size > maxBytes, bytes: size };
  } finally {
    await handle.close();
  }
}

export function readTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_read',
    title: 'Read text files',
    description:
      `Read a text file (\`path\`) or several (\`paths\`, at most ${settings.maxReadFiles}), whole or in part: \`startLine\`/\`endLine\` (1-based, inclusive), ` +
      `\`head\` or \`tail\` (a number of lines). Files over ${Math.round(settings.maxReadBytes / 1024)} KiB are cut (flagged \`truncated\`). Paths are relative to the first root or absolute inside a root.`,
    input: z.object({
      path: z.string().min(1).max(4096).optional(),
      paths: z.array(z.string().min(1).max(4096)).min(1).max(settings.maxReadFiles).optional(),
      startLine: z.number().int().positive().optional(),
      endLine: z.number().int().positive().optional(),
      head: z.number().int().positive().optional(),
      tail: z.number().int().positive().optional(),
    }),
    output: z.object({ files: z.array(z.looseObject({ path: z.string() })) }),
    annotations: READ_ONLY,
    handler: async (args: { path?: string; paths?: string[] } & LineSelection, ctx) => {
      const paths = args.paths ?? (args.path ? [args.path] : []);
      if (paths.length === 0) throw new McpdError('VALIDATION_ERROR', 'Give `path` or `paths`');
      if ([args.head, args.tail, args.startLine ?? args.endLine].filter((value) => value !== undefined).length > 1) {
        throw new McpdError('VALIDATION_ERROR', 'Use one of startLine/endLine, head or tail');
      }
      const sandbox = await sandboxFor(tools, ctx);
      const single = paths.length === 1 && args.path !== undefined;
      const files: TextRead[] = [];
      for (const path of paths) {
        try {
          files.push(await readText(sandbox, path, args, settings.maxReadBytes));
        } catch (error) {
          // One file of several failing leaves the others read; a single file's failure is the call's.
          if (single || !(error instanceof McpdError)) throw error;
          files.push({ path, error: `${error.code}: ${error.message}` });
        }
      }
      const text = files
        .map((file) => (single ? (file.text ?? '') : `== ${file.path}${file.error ? ` (${file.error})` : ''}\n${file.text ?? ''}`))
        .join('\n\n');
      return { content: [{ type: 'text', text }], structuredContent: { files } };
    },
  };
}

export function readMediaTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  return {
    name: 'fs_read_media',
    title: 'Read an image, audio or binary file',
    description: `Read a binary file: images and audio come as such, anything else as an embedded resource (base64). At most ${Math.round(settings.maxMediaBytes / 1024 / 1024)} MiB.`,
    input: z.object({ path: z.string().min(1).max(4096) }),
    annotations: READ_ONLY,
    handler: async (args: { path: string }, ctx) => {
      const sandbox = await sandboxFor(tools, ctx);
      const { handle, located } = await sandbox.openRead(args.path);
      try {
        const { bytes: data, more } = await readUpTo(handle, settings.maxMediaBytes);
        if (more) throw new McpdError('VALIDATION_ERROR', `${located.display} is over the ${settings.maxMediaBytes}-byte limit`);
        const mimeType = mimeTypeOf(located.display);
        const base64 = data.toString('base64');
        if (mimeType.startsWith('image/')) return [{ type: 'image', data: base64, mimeType }];
        if (mimeType.startsWith('audio/')) return [{ type: 'audio', data: base64, mimeType }];
        return [{ type: 'resource', resource: { uri: fileUri(located.absolute), mimeType, blob: base64 } }];
      } finally {
        await handle.close();
      }
    },
  };
}

export function fileUri(absolute: string): string {
  return pathToFileURL(absolute).href;
}
