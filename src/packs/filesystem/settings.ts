/**
 * The filesystem pack's configuration section (zod only: the config schema
 * composes it; nothing here runs).
 */
import { z } from 'zod';

const positive = z.number().int().positive();

export const filesystemSection = z
  .strictObject({
    roots: z
      .array(z.string().min(1))
      .default([])
      .describe('Directories agents may reach (resolved with realpath at start). Empty (the default): no filesystem tools are served.'),
    readOnly: z.boolean().default(false).describe('Serve only the reading tools, whatever write, move and delete say.'),
    write: z.boolean().default(true).describe('Serve fs_write, fs_edit and fs_mkdir (unless readOnly).'),
    move: z.boolean().default(true).describe('Serve fs_move (unless readOnly).'),
    delete: z.boolean().default(false).describe('Serve fs_delete (unless readOnly).'),
    clientRoots: z
      .boolean()
      .default(true)
      .describe("Narrow the roots to the client's MCP roots when it offers them (never wider than `roots`)."),
    refuseHardLinks: z
      .boolean()
      .default(true)
      .describe('Refuse regular files with more than one hard link (one of the links may be outside the roots).'),
    maxReadBytes: positive.default(1024 * 1024).describe('Most bytes of a text file fs_read returns (more: cut and flagged `truncated`).'),
    maxMediaBytes: positive.default(10 * 1024 * 1024).describe('Largest file fs_read_media returns (base64).'),
    maxReadFiles: positive.default(20).describe('Most files one fs_read call may read (`paths`).'),
    maxWriteBytes: positive.default(10 * 1024 * 1024).describe('Largest content fs_write and fs_edit may write.'),
    tree: z
      .strictObject({
        maxDepth: positive.default(5).describe('Deepest level fs_tree descends to (callers may ask for less).'),
        maxEntries: positive.default(2_000).describe('Most entries fs_tree and fs_list return (more: flagged `truncated`).'),
      })
      .prefault({}),
    search: z
      .strictObject({
        maxResults: positive.default(200).describe('Most matches fs_search returns.'),
        maxFiles: positive.default(20_000).describe('Most files fs_search visits in one call.'),
        maxFileBytes: positive.default(2 * 1024 * 1024).describe('Files larger than this are not searched by content.'),
        maxLineLength: positive.default(500).describe('Matched lines are cut to this many characters.'),
        threads: positive
          .max(64)
          .default(2)
          .describe('Scanner threads fs_search may run at once (each walks and reads one search\'s files); further searches wait their turn.'),
      })
      .prefault({}),
  })
  .prefault({});

export type FilesystemSettings = z.output<typeof filesystemSection>;
