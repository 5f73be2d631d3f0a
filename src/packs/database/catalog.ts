/**
 * Schema discovery that scales to thousands of tables: agents search by name
 * and describe one table at a time instead of receiving the whole catalog.
 * Only fixed SQL over pg_catalog, with the caller's words as parameters.
 */
import { McpdError } from '../../chassis/errors.js';
import type { PgDatabase } from './pg-database.js';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;
const KIND = `CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END`;

export async function listSchemas(db: PgDatabase, timeoutMs: number) {
  return db.catalog(timeoutMs, (query) =>
    query(
      `SELECT n.nspname AS schema,
              count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f'))::int AS objects,
              obj_description(n.oid, 'pg_namespace') AS comment
         FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
        WHERE ${USER_SCHEMAS}
        GROUP BY n.oid, n.nspname ORDER BY n.nspname`,
      [],
    ),
  );
}

/** Tables and views whose name matches: `%`/`_` wildcards when given, else a substring match. */
export async function searchObjects(db: PgDatabase, pattern: string, schema: string | undefined, limit: number, timeoutMs: number) {
  const like = /[%_]/.test(pattern) ? pattern : `%${pattern}%`;
  return db.catalog(timeoutMs, (query) =>
    query(
      `SELECT n.nspname AS schema, c.relname AS name, ${KIND} AS kind,
              obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMAS}
          AND ($1::text IS NULL OR n.nspname = $1) AND c.relname ILIKE $2
        ORDER BY n.nspname, c.relname LIMIT $3`,
      [schema ?? null, like, limit],
    ),
  );
}

/** Columns, keys, constraints, indexes and comments of one table or view (`table` or `schema.table`). */
export async function describeTable(db: PgDatabase, table: string, timeoutMs: number) {
  const dot = table.indexOf('.');
  return describeRelation(db, dot === -1 ? null : table.slice(0, dot), dot === -1 ? table : table.slice(dot + 1), timeoutMs);
}

/**
 * The same, with schema and name given apart (names may contain dots); a null
 * schema means the first visible match, then user schemas.
 */
export async function describeRelation(db: PgDatabase, schema: string | null, name: string, timeoutMs: number) {
  const table = schema === null ? name : `${schema}.${name}`;
  return db.catalog(timeoutMs, async (query) => {
    const [found] = await query(
      `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, ${KIND} AS kind,
              obj_description(c.oid, 'pg_class') AS comment, greatest(c.reltuples, 0)::bigint AS estimated_rows
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = $1
          AND (($2::text IS NULL AND (pg_table_is_visible(c.oid) OR ${USER_SCHEMAS})) OR n.nspname = $2)
        ORDER BY pg_table_is_visible(c.oid) DESC, n.nspname LIMIT 1`,
      [name, schema],
    );
    if (!found) throw new McpdError('NOT_FOUND', `No table or view named ${table}; search for it with the schema tool`);
    const oid = found.oid;
    const columns = await query(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              pg_get_expr(d.adbin, d.adrelid) AS "default", col_description(a.attrelid, a.attnum) AS comment
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [oid],
    );
    const constraints = await query(
      `SELECT conname AS name,
              CASE contype WHEN 'p' THEN 'primary key' WHEN 'f' THEN 'foreign key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE contype::text END AS kind,
              pg_get_constraintdef(oid) AS definition
         FROM pg_constraint WHERE conrelid = $1 ORDER BY contype, conname`,
      [oid],
    );
    const indexes = await query(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisunique AS "unique", i.indisprimary AS "primary"
         FROM pg_index i WHERE i.indrelid = $1 ORDER BY 1`,
      [oid],
    );
    const { oid: _oid, ...table_ } = found;
    return { ...table_, columns, constraints, indexes };
  });
}
