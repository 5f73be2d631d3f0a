/**
 * Schema discovery as resources, for clients that browse rather than call
 * tools — the same catalog queries as `db_schema`, bounded the same way:
 *
 *   db://<database>/schemas                      (one per database, listed)
 *   db://{database}/schemas/{schema}             the tables and views of one schema (the first SCHEMA_OBJECTS_LIMIT)
 *   db://{database}/tables/{schema}/{table}      one table or view described
 *
 * Names travel as single path segments, percent-encoded (RFC 6570 simple
 * expansion: a `.` or `/` inside a name cannot be confused with the
 * separators) and reach the catalog only as bound parameters. Completion of
 * {database}, {schema} and {table} is bounded and prefix-based.
 */
import type { HandlerContext, ResourceDefinition, ResourceTemplateDefinition } from '../../api/types.js';
import { JsonRpcErrorCode, McpdError } from '../../chassis/errors.js';
import { describeRelation, listSchemas, searchObjects } from './catalog.js';
import type { PgDatabase } from './pg-database.js';
import type { DatabaseTools } from './tools.js';

/** Most tables and views one schema resource shows (more: `truncated: true`; search with `db_schema`). */
export const SCHEMA_OBJECTS_LIMIT = 200;
/** Most completion values looked up (one more is fetched so that `hasMore` is told). */
export const COMPLETION_LIMIT = 100;

const JSON_TYPE = 'application/json';
export const SCHEMA_TEMPLATE = 'db://{database}/schemas/{schema}';
export const TABLE_TEMPLATE = 'db://{database}/tables/{schema}/{table}';

const segment = encodeURIComponent;
export const schemasUri = (database: string) => `db://${segment(database)}/schemas`;
export const schemaUri = (database: string, schema: string) => `db://${segment(database)}/schemas/${segment(schema)}`;
export const tableUri = (database: string, schema: string, table: string) => `db://${segment(database)}/tables/${segment(schema)}/${segment(table)}`;

/** Before 2026-07-28 a resource miss is -32002; from it on, -32602 with data.uri (as the engine answers a URI nothing serves). */
const STATELESS_SINCE = '2026-07-28';

function resourceNotFound(ctx: HandlerContext, uri: string, message: string): McpdError {
  const jsonRpcCode = ctx.protocolVersion >= STATELESS_SINCE ? JsonRpcErrorCode.INVALID_PARAMS : JsonRpcErrorCode.RESOURCE_NOT_FOUND;
  return new McpdError('NOT_FOUND', message, { jsonRpcCode, data: { uri } });
}

/** The started database of that name: NOT_FOUND (as a resource miss) when none is configured, UNAVAILABLE before start. */
function databaseFor(tools: DatabaseTools, name: string, uri: string, ctx: HandlerContext): PgDatabase {
  if (!tools.entries.has(name)) throw resourceNotFound(ctx, uri, `No database named ${name}`);
  const db = tools.databases.get(name);
  if (!db) throw new McpdError('UNAVAILABLE', `Database ${name} is not started yet`, { retryAfterMs: 1000 });
  return db;
}

/** For completion: the database named in the context (default: the first), if configured and started. */
function databaseForCompletion(tools: DatabaseTools, context: { arguments: Record<string, string> }): PgDatabase | undefined {
  const name = context.arguments.database || (tools.entries.keys().next().value as string | undefined);
  return name === undefined || !tools.entries.has(name) ? undefined : tools.databases.get(name);
}

/** A LIKE pattern matching names that start with `prefix` (its own `%`, `_` and `\` taken literally). */
const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

const json = (value: unknown) => JSON.stringify(value);

function completers(tools: DatabaseTools) {
  return {
    database: (value: string) => [...tools.entries.keys()].filter((name) => name.startsWith(value)),
    schema: async (value: string, context: { arguments: Record<string, string> }) => {
      const db = databaseForCompletion(tools, context);
      if (!db) return [];
      const lower = value.toLowerCase();
      const schemas = await tools.observer.observe(db.name, 'schema', () => listSchemas(db, db.settings.statementTimeoutMs));
      return schemas
        .map((row) => row.schema as string)
        .filter((schema) => schema.toLowerCase().startsWith(lower))
        .slice(0, COMPLETION_LIMIT + 1);
    },
    table: async (value: string, context: { arguments: Record<string, string> }) => {
      const db = databaseForCompletion(tools, context);
      if (!db) return [];
      const schema = context.arguments.schema || undefined;
      const found = await tools.observer.observe(db.name, 'schema', () =>
        searchObjects(db, startsWith(value), schema, COMPLETION_LIMIT + 1, db.settings.statementTimeoutMs),
      );
      // Without a schema the same name may come from several: offered once.
      return [...new Set(found.map((row) => row.name as string))];
    },
  };
}

/** The resources and resource templates of the configured databases (register with host.resource / host.resourceTemplate). */
export function databaseResources(tools: DatabaseTools): { resources: ResourceDefinition[]; templates: ResourceTemplateDefinition[] } {
  const complete = completers(tools);

  const resources: ResourceDefinition[] = [...tools.entries].map(([name, entry]) => ({
    uri: schemasUri(name),
    name: `${name}-schemas`,
    title: `Schemas of database ${name}`,
    description:
      `The schemas of database ${name}${entry.description ? ` (${entry.description})` : ''} with how many tables and views each holds; ` +
      `each links to its listing (${SCHEMA_TEMPLATE}).`,
    mimeType: JSON_TYPE,
    read: async (ctx) => {
      const uri = schemasUri(name);
      const db = databaseFor(tools, name, uri, ctx);
      const schemas = await tools.observer.observe(db.name, 'schema', () => listSchemas(db, db.settings.statementTimeoutMs));
      return json({ database: db.name, schemas: schemas.map((row) => ({ ...row, uri: schemaUri(db.name, row.schema as string) })) });
    },
  }));

  const schemaTemplate: ResourceTemplateDefinition = {
    uriTemplate: SCHEMA_TEMPLATE,
    name: 'database-schema',
    title: 'Tables and views of a schema',
    description:
      `The tables and views of one schema (name, kind, comment, resource URI), in name order; at most ${SCHEMA_OBJECTS_LIMIT}, ` +
      'then `truncated: true` (search by name with the db_schema tool).',
    mimeType: JSON_TYPE,
    complete: { database: complete.database, schema: complete.schema },
    read: async (uri, variables, ctx) => {
      const db = databaseFor(tools, variables.database!, uri, ctx);
      const schema = variables.schema!;
      const timeoutMs = db.settings.statementTimeoutMs;
      return tools.observer.observe(db.name, 'schema', async () => {
        const found = await searchObjects(db, '%', schema, SCHEMA_OBJECTS_LIMIT + 1, timeoutMs);
        // An empty listing may be an empty schema or none at all: only then ask which.
        if (found.length === 0 && !(await listSchemas(db, timeoutMs)).some((row) => row.schema === schema)) {
          throw resourceNotFound(ctx, uri, `No schema named ${schema} in database ${db.name}`);
        }
        const objects = found.slice(0, SCHEMA_OBJECTS_LIMIT).map((row) => ({ ...row, uri: tableUri(db.name, schema, row.name as string) }));
        return json({ database: db.name, schema, objects, truncated: found.length > SCHEMA_OBJECTS_LIMIT });
      });
    },
  };

  const tableTemplate: ResourceTemplateDefinition = {
    uriTemplate: TABLE_TEMPLATE,
    name: 'database-table',
    title: 'A table or view described',
    description: 'One table or view: columns, types, nullability, defaults, comments, constraints (keys, checks), indexes and a row estimate.',
    mimeType: JSON_TYPE,
    complete,
    // No `list`: resources/list stays a constant answer that never touches a database (nor starts
    // the embedded one); tables are found through the schema listings, completion and db_schema.
    read: async (uri, variables, ctx) => {
      const db = databaseFor(tools, variables.database!, uri, ctx);
      const schema = variables.schema!;
      const table = variables.table!;
      try {
        const described = await tools.observer.observe(db.name, 'schema', () => describeRelation(db, schema, table, db.settings.statementTimeoutMs));
        return json({ database: db.name, ...described });
      } catch (error) {
        if (error instanceof McpdError && error.code === 'NOT_FOUND') throw resourceNotFound(ctx, uri, `No table or view ${schema}.${table} in database ${db.name}`);
        throw error;
      }
    },
  };

  return { resources, templates: [schemaTemplate, tableTemplate] };
}
