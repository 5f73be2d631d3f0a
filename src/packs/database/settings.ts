/**
 * The database pack's configuration section (zod only: the config schema
 * composes it; nothing here runs).
 */
import { z } from 'zod';

const positiveMs = z.number().int().positive();

export const WRITE_KINDS = ['insert', 'update', 'delete', 'merge'] as const;

export const databaseEntry = z.strictObject({
  description: z.string().optional().describe('What this database holds (shown to agents in tool descriptions).'),
  defaultRows: z.number().int().positive().default(100).describe('Rows returned when the caller gives no limit.'),
  maxRows: z.number().int().positive().default(1000).describe('Most rows a query may return; more are cut and flagged `truncated`.'),
  maxResultBytes: z.number().int().positive().default(1024 * 1024).describe('Most bytes of row data a query may return (JSON); more are cut and flagged `truncated`.'),
  statementTimeoutMs: positiveMs.default(5_000).describe('Default server-side statement timeout (SET LOCAL statement_timeout).'),
  maxStatementTimeoutMs: positiveMs.default(30_000).describe('Largest timeout a caller may ask for.'),
  lockTimeoutMs: positiveMs.default(1_000).describe('SET LOCAL lock_timeout: a query never waits long for a lock.'),
  cacheTtlMs: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Cache db_query results this long (per caller, SQL, parameters and row limit; in the `cache` store); 0 = off. Cached rows may be up to this old.'),
  pool: z
    .strictObject({
      max: z.number().int().positive().default(10).describe('Connections in the pool.'),
      idleTimeoutMs: positiveMs.default(30_000).describe('Idle time after which a pooled connection is closed.'),
      connectionTimeoutMs: positiveMs.default(5_000).describe('Wait for a free connection (or a new one) before the call fails.'),
    })
    .prefault({}),
  write: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Enable the write tool for this database (annotated destructive).'),
      statements: z.array(z.enum(WRITE_KINDS)).default(['insert', 'update']).describe('Statement kinds the write tool accepts.'),
      tables: z.array(z.string()).default([]).describe('Tables the write tool may change (`table` or `schema.table`); empty: any table.'),
    })
    .prefault({}),
});

export const databaseSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the database tools.'),
    dsn: z
      .string()
      .optional()
      .describe('SECRET (env or file only). PostgreSQL URL of the database named `main`. Without it and without dsns, the embedded database is served (database.embedded).'),
    embedded: z
      .strictObject({
        enabled: z.boolean().default(true).describe('With no dsn and no dsns: serve an embedded PostgreSQL (PGlite, in a worker thread) as the database `main`.'),
        dataDir: z
          .string()
          .optional()
          .describe('Keep the embedded database in this directory (created, and seeded when `seed` is on, if empty). Unset: a temporary directory removed at stop.'),
        seed: z.boolean().default(true).describe('Load the demo shop (customers, products, orders) into a new embedded database.'),
      })
      .prefault({})
      .describe('The embedded database served when no PostgreSQL is configured.'),
    dsns: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,30}$/), z.string())
      .default({})
      .describe('SECRET (env or file only). More databases as JSON {"name": "postgres://…"}; each gets the settings in databases.<name>.'),
    databases: z
      .record(z.string(), databaseEntry)
      .default({})
      .describe('Settings per database name (defaults apply to names not listed): limits, timeouts, pool, write mode.'),
  })
  .prefault({});

export type DatabaseSettings = z.output<typeof databaseSection>;
export type DatabaseEntrySettings = z.output<typeof databaseEntry>;

/** The settings of one named database: its entry, or the defaults. */
export function entrySettings(settings: DatabaseSettings, name: string): DatabaseEntrySettings {
  return settings.databases[name] ?? databaseEntry.parse({});
}
