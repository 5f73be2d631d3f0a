/**
 * Files within the roots as MCP resources: `file://{+path}` reads a file
 * (text as text, anything else as a blob) through the same sandbox as the
 * tools. No listing: roots may hold millions of files; fs_list and fs_search
 * find them.
 */
import { fileURLToPath } from 'node:url';
import type { ResourceTemplateDefinition } from '../../api/types.js';
import { McpdError } from '../../chassis/errors.js';
import { sandboxFor, type FilesystemTools } from './access.js';
import { mimeTypeOf } from './mime.js';
import { readUpTo } from './read-limited.js';
import { looksBinary } from './text.js';

export function fileResources(tools: FilesystemTools): ResourceTemplateDefinition {
  return {
    uriTemplate: 'file://{+path}',
    name: 'file',
    title: 'A file within the roots',
    description: `A file inside the configured roots, read-only (at most ${tools.settings.maxMediaBytes} bytes).`,
    read: async (uri, _variables, ctx) => {
      let path: string;
      try {
        path = fileURLToPath(uri);
      } catch {
        throw new McpdError('VALIDATION_ERROR', 'Not a local file URI');
      }
      const sandbox = await sandboxFor(tools, ctx);
      const { handle, located } = await sandbox.openRead(path);
      try {
        const { bytes, more } = await readUpTo(handle, tools.settings.maxMediaBytes);
        if (more) throw new McpdError('VALIDATION_ERROR', `${located.display} is larger than ${tools.settings.maxMediaBytes} bytes`);
        const mimeType = mimeTypeOf(located.display);
        if (!looksBinary(bytes) && !mimeType.startsWith('image/') && !mimeType.startsWith('audio/')) {
          return { uri, mimeType: mimeType === 'application/octet-stream' ? 'text/plain' : mimeType, text: bytes.toString('utf8') };
        }
        return { uri, mimeType, blob: bytes.toString('base64') };
      } finally {
        await handle.close();
      }
    },
  };
}
