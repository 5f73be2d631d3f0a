/**
 * The filesystem tool pack: tools over a sandbox of configured roots
 * (narrowed by the client's roots), switchable by kind — reading always,
 * writing, moving and deleting as configured — and the files as resources.
 */
import type { PackHost, ToolPack } from '../../api/pack.js';
import { McpdError } from '../../chassis/errors.js';
import type { FilesystemTools } from './access.js';
import { fileResources } from './resources.js';
import { Sandbox } from './sandbox/index.js';
import type { FilesystemSettings } from './settings.js';
import { infoTool, listTool, treeTool } from './tools/browse.js';
import { deleteTool, moveTool } from './tools/manage.js';
import { readMediaTool, readTool } from './tools/read.js';
import { searchTool } from './tools/search.js';
import { editTool, mkdirTool, writeTool } from './tools/write.js';

export function filesystemPack(settings: FilesystemSettings): ToolPack {
  return {
    name: 'filesystem',
    setup(host: PackHost) {
      if (settings.roots.length === 0) return;
      let sandbox: Sandbox | undefined;
      const tools: FilesystemTools = {
        settings,
        sandbox: () => {
          if (!sandbox) throw new McpdError('UNAVAILABLE', 'The filesystem roots are not ready yet', { retryAfterMs: 1000 });
          return sandbox;
        },
      };
      host.lifecycle({
        name: 'filesystem',
        // Roots are resolved (realpath) once, at start: a missing root stops the server with its name.
        start: async () =>
          void (sandbox = await Sandbox.create({ roots: settings.roots, refuseHardLinks: settings.refuseHardLinks, scanThreads: settings.search.threads })),
        stop: () => sandbox?.close(),
      });
      for (const tool of [readTool, readMediaTool, listTool, treeTool, infoTool, searchTool]) host.tool(tool(tools));
      if (!settings.readOnly) {
        if (settings.write) for (const tool of [writeTool, editTool, mkdirTool]) host.tool(tool(tools));
        if (settings.move) host.tool(moveTool(tools));
        if (settings.delete) host.tool(deleteTool(tools));
      }
      host.resourceTemplate(fileResources(tools));
    },
  };
}
