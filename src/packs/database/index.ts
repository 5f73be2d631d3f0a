/**
 * The database tool pack: PostgreSQL databases named in the configuration,
 * each behind its own pool, served through a few read-only tools (and a write
 * tool where an operator enabled writes), with readiness checks and metrics.
 */
import type { PackHost, ToolPack } from '../../api/pack.js';
import { databaseMetrics } from './metrics.js';
import type { PgDatabase } from './pg-database.js';
import { entrySettings, type DatabaseSettings } from './settings.js';
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

export function databasePack(settings: DatabaseSettings): ToolPack {
  return {
    name: 'database',
    setup(host: PackHost) {
      const dsns = configuredDatabases(settings);
      if (!settings.enabled || dsns.size === 0) return;
      const entries = new Map([...dsns.keys()].map((name) => [name, entrySettings(settings, name)]));
      // Pools (and the pg driver) are created at start: a server without databases never loads them.
      const databases = new Map<string, PgDatabase>();
      const observer = databaseMetrics(host.metrics, () => databases.values());
      const tools = { databases, entries, observer };
      host.lifecycle({
        name: 'database',
        start: async () => {
          await loadSqlParser();
          const { PgDatabase } = await import('./pg-database.js');
          for (const [name, dsn] of dsns) databases.set(name, new PgDatabase(name, { connectionString: dsn }, entries.get(name)!));
        },
        stop: async () => void (await Promise.all([...databases.values()].map((db) => db.close()))),
      });
      for (const name of dsns.keys()) {
        host.readiness(`database:${name}`, async () => {
          const db = databases.get(name);
          if (!db) throw new Error('not started');
          await db.ping();
        });
      }
      host.tool(queryTool(tools));
      host.tool(schemaTool(tools));
      host.tool(explainTool(tools));
      const policies = new Map<string, WritePolicy>();
      for (const [name, entry] of entries) {
        const write = entry.write;
        if (write.enabled) policies.set(name, { statements: new Set(write.statements), tables: new Set(write.tables.map((table) => table.toLowerCase())) });
      }
      if (policies.size > 0) host.tool(writeTool(tools, policies));
    },
  };
}
