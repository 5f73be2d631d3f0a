/**
 * The database tools — few, because agents pay tokens for every tool:
 * `db_query` (read-only SQL), `db_schema` (list schemas, search objects,
 * describe a table), `db_explain` (a plan), and `db_write` only when an
 * operator enables writes for a database. With several databases each tool
 * takes a `database` argument.
 */
import { z } from 'zod';
import type { ToolDefinition } from '../../api/types.js';
import type { ResultCache } from '../../chassis/cache/result-cache.js';
import { McpdError } from '../../chassis/errors.js';
import { describeTable, listSchemas, searchObjects } from './catalog.js';
import type { PgDatabase } from './pg-database.js';
import { checkReadOnlySql, checkWriteSql, type WritePolicy } from './sql-guard.js';
import type { DatabaseObserver } from './metrics.js';
import type { DatabaseEntrySettings } from './settings.js';

const param = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const columns = z.array(z.object({ name: z.string(), type: z.string() }));

export interface DatabaseTools {
  /** Filled when the pack starts. */
  databases: ReadonlyMap<string, PgDatabase>;
  /** Settings by database name, known before start. */
  entries: ReadonlyMap<string, DatabaseEntrySettings>;
  observer: DatabaseObserver;
  /** The `db` namespace of the result cache; used by databases whose cacheTtlMs > 0. */
  cache?: ResultCache;
}

function databaseArgument(names: string[]) {
  return names.length > 1
    ? { database: z.enum(names as [string, ...string[]]).optional().describe(`Which database (default ${names[0]}).`) }
    : {};
}

function pick(tools: DatabaseTools, name: string | undefined): PgDatabase {
  const first = tools.entries.keys().next().value as string;
  const chosen = name ?? first;
  if (!tools.entries.has(chosen)) throw new McpdError('NOT_FOUND', `No database named ${chosen}`);
  const db = tools.databases.get(chosen);
  if (!db) throw new McpdError('UNAVAILABLE', `Database ${chosen} is not started yet`, { retryAfterMs: 1000 });
  return db;
}

function timeoutOf(db: PgDatabase, requested: number | undefined): number {
  return Math.min(requested ?? db.settings.statementTimeoutMs, db.settings.maxStatementTimeoutMs);
}

function describeDatabases(tools: DatabaseTools): string {
  const entries = [...tools.entries].map(([name, entry]) => `${name}${entry.description ? ` (${entry.description})` : ''}`);
  return entries.length > 1 ? ` Databases: ${entries.join('; ')}.` : entries[0]?.includes('(') ? ` Database: ${entries[0]}.` : '';
}

/** Agents should know a result may be stale, and how stale. */
function describeCaching(tools: DatabaseTools): string {
  if (!tools.cache) return '';
  const cached = [...tools.entries].filter(([, entry]) => entry.cacheTtlMs > 0).map(([name, entry]) => `${name} up to ${entry.cacheTtlMs / 1000} s`);
  return ` Results may come from a cache (flagged \`cached\`): ${cached.join('; ')} old.`;
}

export function queryTool(tools: DatabaseTools): ToolDefinition<any, any> {
  const names = [...tools.entries.keys()];
  return {
    name: 'db_query',
    title: 'Query the database (read-only)',
    description:
      'Run one read-only SQL SELECT (PostgreSQL dialect) with positional parameters ($1, $2…). Returns columns and rows as JSON; ' +
      'big numbers, dates and binary values come as PostgreSQL text. Results are cut at the row limit and flagged `truncated`. ' +
      'Writes, transaction control, SET, COPY and file or network functions are rejected.' +
      describeDatabases(tools) +
      describeCaching(tools),
    input: z.object({
      ...databaseArgument(names),
      sql: z.string().min(1).max(100_000).describe('One SELECT statement. Use $1, $2… for values.'),
      params: z.array(param).max(1000).default([]).describe('Values for $1, $2…'),
      maxRows: z.number().int().positive().optional().describe('Most rows to return (capped by the server).'),
      timeoutMs: z.number().int().positive().optional().describe('Statement timeout in ms (capped by the server).'),
    }),
    output: z.object({
      database: z.string(),
      columns,
      rows: z.array(z.array(z.unknown())),
      rowCount: z.number(),
      truncated: z.boolean(),
      truncatedBy: z.enum(['maxRows', 'maxBytes']).optional(),
      cached: z.boolean().optional().describe('true: served from the result cache (up to the database’s cacheTtlMs old).'),
    }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args: { database?: string; sql: string; params: (string | number | boolean | null)[]; maxRows?: number; timeoutMs?: number }, ctx) => {
      const db = pick(tools, args.database);
      // Checked before the cache too: rejected SQL is rejected every time, never answered from a cache.
      checkReadOnlySql(args.sql);
      const maxRows = Math.min(args.maxRows ?? db.settings.defaultRows, db.settings.maxRows);
      const timeoutMs = timeoutOf(db, args.timeoutMs);
      const ttlMs = db.settings.cacheTtlMs;
      const cache = ttlMs > 0 ? tools.cache : undefined;
      // Everything the rows depend on, and who asked: a result is never served to another identity.
      const key = { identity: ctx.identity, parts: [db.name, args.sql, args.params, maxRows, db.settings.maxResultBytes] };
      if (cache) {
        const hit = await cache.get<Record<string, unknown>>(key);
        if (hit) return { ...hit, cached: true };
      }
      const result = await tools.observer.observe(db.name, 'query', () =>
        db.read(args.sql, args.params, { maxRows, maxBytes: db.settings.maxResultBytes, timeoutMs, signal: ctx.signal }),
      );
      const value = { database: db.name, ...result };
      // Only a result that arrived: errors throw past this line and are never cached.
      if (cache) await cache.set(key, value, ttlMs);
      return value;
    },
  };
}

export function schemaTool(tools: DatabaseTools): ToolDefinition<any, any> {
  const names = [...tools.entries.keys()];
  return {
    name: 'db_schema',
    title: 'Explore the database schema',
    description:
      'Without arguments: the schemas and how many tables each holds. With `search`: tables and views whose name matches ' +
      '(substring, or a LIKE pattern with % and _). With `table` (`name` or `schema.name`): its columns, types, keys, constraints, indexes and comments.' +
      describeDatabases(tools),
    input: z.object({
      ...databaseArgument(names),
      search: z.string().min(1).max(200).optional().describe('Find tables and views by name.'),
      schema: z.string().max(200).optional().describe('Limit a search to one schema.'),
      table: z.string().min(1).max(400).optional().describe('Describe this table or view.'),
      limit: z.number().int().positive().max(1000).default(100).describe('Most search results.'),
    }),
    output: z.looseObject({ database: z.string(), schemas: z.array(z.record(z.string(), z.unknown())).optional(), objects: z.array(z.record(z.string(), z.unknown())).optional(), table: z.record(z.string(), z.unknown()).optional() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args: { database?: string; search?: string; schema?: string; table?: string; limit: number }) => {
      const db = pick(tools, args.database);
      const timeoutMs = db.settings.statementTimeoutMs;
      return tools.observer.observe(db.name, 'schema', async () => {
        if (args.table) return { database: db.name, table: await describeTable(db, args.table, timeoutMs) };
        if (args.search) return { database: db.name, objects: await searchObjects(db, args.search, args.schema, args.limit, timeoutMs) };
        return { database: db.name, schemas: await listSchemas(db, timeoutMs) };
      });
    },
  };
}

export function explainTool(tools: DatabaseTools): ToolDefinition<any, any> {
  const names = [...tools.entries.keys()];
  return {
    name: 'db_explain',
    title: 'Explain a query plan',
    description:
      "PostgreSQL's plan (JSON) for one read-only SELECT. `analyze: true` also runs it (inside a read-only transaction, with the statement timeout) for real timings." +
      describeDatabases(tools),
    input: z.object({
      ...databaseArgument(names),
      sql: z.string().min(1).max(100_000).describe('One SELECT statement.'),
      params: z.array(param).max(1000).default([]),
      analyze: z.boolean().default(false).describe('Run the query for actual row counts and timings.'),
    }),
    output: z.object({ database: z.string(), plan: z.unknown() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (args: { database?: string; sql: string; params: (string | number | boolean | null)[]; analyze: boolean }, ctx) => {
      const db = pick(tools, args.database);
      // The same rules as a query: even EXPLAIN ANALYZE can only ever run a checked SELECT.
      checkReadOnlySql(args.sql);
      const plan = await tools.observer.observe(db.name, 'explain', () => db.explain(args.sql, args.params, args.analyze, db.settings.statementTimeoutMs, ctx.signal));
      return { database: db.name, plan };
    },
  };
}

/** Registered only when at least one database enables writes; refuses the others. */
export function writeTool(tools: DatabaseTools, policies: ReadonlyMap<string, WritePolicy>): ToolDefinition<any, any> {
  const writable = [...policies.keys()];
  return {
    name: 'db_write',
    title: 'Change data (write mode)',
    description:
      `Run one INSERT, UPDATE, DELETE or MERGE with positional parameters, committed if it succeeds. Enabled for: ${writable
        .map((name) => {
          const policy = policies.get(name)!;
          return `${name} (${[...policy.statements].join(', ')}${policy.tables.size ? ` on ${[...policy.tables].join(', ')}` : ''})`;
        })
        .join('; ')}.`,
    input: z.object({
      ...(writable.length > 1 ? { database: z.enum(writable as [string, ...string[]]).describe('Which database.') } : {}),
      sql: z.string().min(1).max(100_000),
      params: z.array(param).max(1000).default([]),
    }),
    output: z.object({ database: z.string(), statement: z.string(), command: z.string(), rowCount: z.number(), columns, rows: z.array(z.array(z.unknown())) }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async (args: { database?: string; sql: string; params: (string | number | boolean | null)[] }, ctx) => {
      const name = args.database ?? writable[0]!;
      const policy = policies.get(name);
      if (!policy) throw new McpdError('PERMISSION_DENIED', `Writes are not enabled for database ${name}`);
      const db = pick(tools, name);
      const checked = checkWriteSql(args.sql, policy);
      const result = await tools.observer.observe(db.name, 'write', () => db.write(args.sql, args.params, db.settings.statementTimeoutMs, db.settings.maxRows, ctx.signal));
      return { database: db.name, statement: checked.kind, ...result };
    },
  };
}
