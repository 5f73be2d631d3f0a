/**
 * The database tool pack: PostgreSQL databases named in the configuration,
 * each behind its own pool, served through a few read-only tools (and a write
 * tool where an operator enabled writes), with readiness checks and metrics.
 */
import type { PoolConfig } from 'pg';
import type { PackHost, ToolPack } from '../../api/pack.js';
import { databaseError } from './errors.js';
import { databaseMetrics } from './metrics.js';
import type { EmbeddedPostgres } from './embedded/embedded-postgres.js';
import type { PgDatabase } from './pg-database.js';
import { databaseResources } from './resources.js';
import { entrySettings, type DatabaseEntrySettings, type DatabaseSettings } from './settings.js';
import { loadSqlParser, type WritePolicy } from './sql-guard.js';
import { explainTool, queryTool, schemaTool, writeTool } from './tools.js';

export { readOnlyRoleSql } from './role.js';

/** The configured databases by name: `main` from `dsn`, then `dsns`. */
export function configuredDatabases(settings: DatabaseSettings): Map<string, string> {
  const dsns = new Map<string, string>();
  if (settings.dsn) dsns.set('main', settings.dsn);
  for (const [name, dsn] of Object.entries(settings.dsns)) dsns.set(name, dsn);
  return dsns;
}

/** Where each database lives: a PostgreSQL URL, or the embedded database when none is configured. */
type DatabaseSource = { dsn: string } | { embedded: DatabaseSettings['embedded'] };

function databaseSources(settings: DatabaseSettings): Map<string, DatabaseSource> {
  const sources = new Map<string, DatabaseSource>([...configuredDatabases(settings)].map(([name, dsn]) => [name, { dsn }]));
  if (sources.size === 0 && settings.embedded.enabled) sources.set('main', { embedded: settings.embedded });
  return sources;
}

const EMBEDDED_DESCRIPTION = 'embedded demo shop: customers, products, orders, order_items, view order_totals';

export function databasePack(settings: DatabaseSettings): ToolPack {
  return {
    name: 'database',
    setup(host: PackHost) {
      const sources = databaseSources(settings);
      if (!settings.enabled || sources.size === 0) return;
      const entries = new Map([...sources].map(([name, source]) => {
        const entry = entrySettings(settings, name);
        const demo = 'embedded' in source && source.embedded.seed && !entry.description;
        return [name, demo ? { ...entry, description: EMBEDDED_DESCRIPTION } : entry];
      }));
      // Pools (and the pg driver) are created at start: a server without databases never loads them.
      const databases = new Map<string, PgDatabase>();
      let embeddedDatabase: EmbeddedPostgres | undefined;
      const observer = databaseMetrics(host.metrics, () => databases.values());
      const tools = { databases, entries, observer, cache: [...entries.values()].some((entry) => entry.cacheTtlMs > 0) ? host.cache('db') : undefined };
      host.lifecycle({
        name: 'database',
        start: async () => {
          await loadSqlParser();
          const { PgDatabase } = await import('./pg-database.js');
          for (const [name, source] of sources) {
            if ('dsn' in source) databases.set(name, new PgDatabase(name, { connectionString: source.dsn }, entries.get(name)!));
            else {
              const started = await startEmbedded(name, source.embedded, entries.get(name)!, host);
              embeddedDatabase = started.embedded;
              databases.set(name, started.database);
            }
          }
        },
        stop: async () => {
          await Promise.all([...databases.values()].map((db) => db.close()));
          await embeddedDatabase?.close();
        },
      });
      for (const name of sources.keys()) {
        host.readiness(`database:${name}`, async () => {
          const db = databases.get(name);
          if (!db) throw new Error('not started');
          if (name === 'main' && embeddedDatabase) return embeddedDatabase.check();
          // The driver's own error names the host and port; readiness output says only what failed.
          await db.ping().catch((error: unknown) => {
            throw databaseError(error, name, 0);
          });
        });
      }
      host.tool(queryTool(tools));
      host.tool(schemaTool(tools));
      host.tool(explainTool(tools));
      const discovery = databaseResources(tools);
      for (const resource of discovery.resources) host.resource(resource);
      for (const template of discovery.templates) host.resourceTemplate(template);
      const policies = new Map<string, WritePolicy>();
      for (const [name, entry] of entries) {
        const write = entry.write;
        if (write.enabled) policies.set(name, { statements: new Set(write.statements), tables: new Set(write.tables.map((table) => table.toLowerCase())) });
      }
      if (policies.size > 0) host.tool(writeTool(tools, policies));
    },
  };
}

/**
 * The embedded database behind a one-connection pool (PGlite is a single
 * backend). It starts on first use: a server that never touches it (a
 * laptop client listing tools, a test) never pays the seconds and the memory
 * of starting it; the first call waits instead.
 */
async function startEmbedded(
  name: string,
  settings: DatabaseSettings['embedded'],
  entry: DatabaseEntrySettings,
  host: PackHost,
): Promise<{ embedded: EmbeddedPostgres; database: PgDatabase }> {
  const [{ EmbeddedPostgres }, { PgDatabase }] = await Promise.all([import('./embedded/embedded-postgres.js'), import('./pg-database.js')]);
  const embedded = new EmbeddedPostgres({
    dataDir: settings.dataDir,
    seed: settings.seed,
    onReady: (startMs) => host.logger.info({ database: name, dataDir: settings.dataDir ?? 'temporary', startMs }, 'embedded database ready'),
    onRestart: (reason) => host.logger.warn({ database: name, reason }, 'embedded database thread restarted'),
    onFailure: (detail) => host.logger.error({ database: name, detail }, 'embedded database failed'),
  });
  // The first start initialises a data directory: connecting may take far longer than from a pool.
  // pg accepts a stream factory in place of a socket; its types only know the socket form.
  const connection = { stream: embedded.stream, user: 'postgres', database: 'postgres', max: 1, connectionTimeoutMillis: Math.max(entry.pool.connectionTimeoutMs, 60_000) } as unknown as PoolConfig;
  const database = new PgDatabase(name, connection, entry, {
    cancel: () => embedded.interrupt('cancelled'),
    deadline: (timeoutMs) => embedded.deadline(timeoutMs),
  });
  return { embedded, database };
}
