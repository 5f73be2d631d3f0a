/**
 * `fs_search`: files by glob, by content, or both, under one directory —
 * bounded in files visited, results and bytes read, skipping binaries and
 * large files, never following symlinks.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import type { ToolDefinition } from '../../../api/types.js';
import { McpdError } from '../../../chassis/errors.js';
import { sandboxFor, type FilesystemTools } from '../access.js';
import { looksBinary } from '../text.js';

const MAX_PATTERN = 1000;
/** Directories deeper than this below the searched one are not entered (the walk reports it: `truncated`). */
const SEARCH_DEPTH = 64;
/** Lines are matched up to this length (the engine is linear; this bounds the work per line). */
const MAX_MATCHED_LINE = 10_000;

interface Match {
  path: string;
  line?: number;
  text?: string;
}

interface Pattern {
  test(line: string): boolean;
  /** False only when no line of `text` can match: most files are then never split into lines. */
  mayMatch(text: string): boolean;
}

const ANY = () => true;

/**
 * Agents' regular expressions run on RE2's linear-time engine (re2js): a backtracking
 * engine would let one pattern like `^(a+)+$` stall the whole server. Literals stay a
 * plain substring search, first over the whole text (a line is a substring of it).
 * Regexes get no whole-text test: with `^`, `$`, `\A` or a line cut at
 * MAX_MATCHED_LINE, a match in a line need not be one in the text.
 */
function compilePattern(content: string, regex: boolean, caseSensitive: boolean): Pattern {
  if (!regex) {
    if (caseSensitive) return { test: (line) => line.includes(content), mayMatch: (text) => text.includes(content) };
    const lower = content.toLowerCase();
    // Lower-casing is per character except the Greek final sigma, which depends on what follows — and a line
    // cut at MAX_MATCHED_LINE can end where the text goes on: a needle with ς gets no whole-text test.
    return { test: (line) => line.toLowerCase().includes(lower), mayMatch: lower.includes('ς') ? ANY : (text) => text.toLowerCase().includes(lower) };
  }
  try {
    const compiled = RE2JS.compile(content, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
    return { test: (line) => compiled.matcher(line).find(), mayMatch: ANY };
  } catch (error) {
    throw new McpdError('VALIDATION_ERROR', `content is not a valid regular expression (RE2 syntax): ${(error as Error).message}`);
  }
}

export function searchTool(tools: FilesystemTools): ToolDefinition<any, any> {
  const { settings } = tools;
  const limits = settings.search;
  return {
    name: 'fs_search',
    title: 'Search files',
    description:
      'Find files under a directory by name (`glob`, e.g. `**/*.ts`, relative to `path`) and/or by content (`content`: literal text, or a regular expression with `regex: true`). ' +
      `Content matches give the file, line number and line. Binary files and files over ${Math.round(limits.maxFileBytes / 1024 / 1024)} MiB are skipped; at most ${limits.maxResults} results.`,
    input: z.object({
      path: z.string().min(1).max(4096).default('.'),
      glob: z.string().min(1).max(MAX_PATTERN).optional(),
      content: z.string().min(1).max(MAX_PATTERN).optional(),
      regex: z.boolean().default(false),
      caseSensitive: z.boolean().default(false),
      maxResults: z.number().int().positive().max(limits.maxResults).optional(),
    }),
    output: z.object({ path: z.string(), matches: z.array(z.looseObject({ path: z.string() })), truncated: z.boolean(), filesVisited: z.number() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args: { path: string; glob?: string; content?: string; regex: boolean; caseSensitive: boolean; maxResults?: number }, ctx) => {
      if (!args.glob && !args.content) throw new McpdError('VALIDATION_ERROR', 'Give `glob`, `content`, or both');
      const pattern = args.content ? compilePattern(args.content, args.regex, args.caseSensitive) : undefined;
      const sandbox = await sandboxFor(tools, ctx);
      const base = sandbox.locate(args.path);
      const maxResults = args.maxResults ?? limits.maxResults;
      const matches: Match[] = [];
      let truncated = false;
      let filesVisited = 0;
      // The sandbox filters by glob (paths relative to the searched directory) and reads only with content to match.
      const files = sandbox.scanFiles(args.path, {
        maxDepth: SEARCH_DEPTH,
        maxEntries: limits.maxFiles,
        signal: ctx.signal,
        read: pattern !== undefined,
        maxFileBytes: limits.maxFileBytes,
        glob: args.glob ? { pattern: args.glob, caseSensitive: args.caseSensitive } : undefined,
      });
      try {
        outer: for (let step = await files.next(); ; step = await files.next()) {
          if (step.done) {
            filesVisited = step.value.filesSeen;
            // The walk stopped at its entry or depth cap: files may be left unseen.
            truncated = step.value.entriesCapped || step.value.depthCapped;
            break;
          }
          const file = step.value;
          filesVisited = file.seen;
          if (!pattern) {
            if (matches.length === maxResults) {
              truncated = true;
              break;
            }
            matches.push({ path: file.display });
            continue;
          }
          const bytes = file.bytes!;
          if (looksBinary(bytes)) continue;
          const text = bytes.toString('utf8');
          if (!pattern.mayMatch(text)) continue;
          const lines = text.split('\n');
          for (let index = 0; index < lines.length; index++) {
            const line = lines[index]!;
            if (!pattern.test(line.length > MAX_MATCHED_LINE ? line.slice(0, MAX_MATCHED_LINE) : line)) continue;
            if (matches.length === maxResults) {
              truncated = true;
              break outer;
            }
            matches.push({ path: file.display, line: index + 1, text: line.length > limits.maxLineLength ? `${line.slice(0, limits.maxLineLength)}…` : line });
          }
        }
      } finally {
        await files.return(undefined as never);
      }
      const text = matches.map((match) => (match.line ? `${match.path}:${match.line}: ${match.text}` : match.path)).join('\n');
      return {
        content: [{ type: 'text', text: (text || 'no matches') + (truncated ? '\n…(truncated)' : '') }],
        structuredContent: { path: base.display, matches, truncated, filesVisited },
      };
    },
  };
}
