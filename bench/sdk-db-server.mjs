// The db_query tool on the official MCP TypeScript SDK v2, for bench/database.mjs: the same SQL guard and
// the same executor as mcpd's pack (imported from dist/, so `npm run build` first), the same input and output
// schemas and result shape (text content + structuredContent), served stateless (2026-07-28) through
// createMcpHandler as bench/sdk-echo-server.mjs serves it.
// Run: PORT=3000 BENCH_DB_DSN=postgres://… [BENCH_DB_POOL=10] node bench/sdk-db-server.mjs
import { McpServer } from '@modelcontextprotocol/server';
import { serveSdk } from './sdk-serve.mjs';
import * as z from 'zod/v4';
import { PgDatabase } from '../dist/packs/database/pg-database.js';
import { databaseEntry } from '../dist/packs/database/settings.js';
import { checkReadOnlySql, loadSqlParser } from '../dist/packs/database/sql-guard.js';

await loadSqlParser();
const settings = databaseEntry.parse({ pool: { max: Number(process.env.BENCH_DB_POOL ?? 10) } });
const db = new PgDatabase('main', { connectionString: process.env.BENCH_DB_DSN }, settings);

const param = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const columns = z.array(z.object({ name: z.string(), type: z.string() }));

function build() {
  const server = new McpServer({ name: 'sdk-db', version: '1.0.0' });
  server.registerTool(
    'db_query',
    {
      description: 'Run one read-only SQL SELECT with positional parameters.',
      inputSchema: z.object({
        sql: z.string().min(1).max(100_000),
        params: z.array(param).max(1000).default([]),
        maxRows: z.number().int().positive().optional(),
        timeoutMs: z.number().int().positive().optional(),
      }),
      outputSchema: z.object({ database: z.string(), columns, rows: z.array(z.array(z.unknown())), rowCount: z.number(), truncated: z.boolean(), truncatedBy: z.enum(['maxRows', 'maxBytes']).optional() }),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      checkReadOnlySql(args.sql);
      const maxRows = Math.min(args.maxRows ?? settings.defaultRows, settings.maxRows);
      const timeoutMs = Math.min(args.timeoutMs ?? settings.statementTimeoutMs, settings.maxStatementTimeoutMs);
      const result = { database: 'main', ...(await db.read(args.sql, args.params, { maxRows, maxBytes: settings.maxResultBytes, timeoutMs, signal: extra?.signal })) };
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
    },
  );
  return server;
}

serveSdk(build, 'sdk db', () => db.close());
