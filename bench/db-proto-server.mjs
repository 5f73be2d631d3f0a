// PROTOTYPE server for bench/database.mjs: mcpd as `mcpd serve` assembles it (createMcpd + runMcpd from
// dist/app, configuration from MCPD_* as `mcpd serve` reads it, the database pack included) plus two tools
// that are not mcpd's, to split the cost of db_query over HTTP:
//   db_query_1rt     the pack's db_query tool (dist/packs/database/tools.js: same input, SQL guard, metrics,
//                    caps and result) on a database whose read() is bench/db-one-trip.mjs (one round trip)
//                    instead of the pack's executor                             -> variant `httpOneTrip`
//   db_query_replay  the same input; answers every call with the result of its first call (same bytes, no
//                    database): the transport, JSON-RPC and result serialisation of this response -> `floor`
// Run: MCPD_ENV=production MCPD_HTTP__PORT=3000 MCPD_DATABASE__DSN=postgres://… node bench/db-proto-server.mjs
import pg from 'pg';
import { Registry } from 'prom-client';
import { createMcpd, loadConfig, runMcpd } from '../dist/app/index.js';
import { databaseMetrics } from '../dist/packs/database/metrics.js';
import { databaseEntry } from '../dist/packs/database/settings.js';
import { loadSqlParser } from '../dist/packs/database/sql-guard.js';
import { queryTool } from '../dist/packs/database/tools.js';
import { oneTripDatabase } from './db-one-trip.mjs';

const { config } = loadConfig();
const settings = config.database.databases.main ?? databaseEntry.parse({});
const pool = new pg.Pool({ connectionString: config.database.dsn, max: settings.pool.max, idleTimeoutMillis: settings.pool.idleTimeoutMs, application_name: 'mcpd-bench-proto' });
pool.on('error', () => {});
await loadSqlParser();

// The pack's own db_query tool (input, guard, metrics, caps, result) on a database whose read() is the prototype.
const databases = new Map([['main', oneTripDatabase(pool, settings)]]);
const oneTrip = queryTool({ databases, entries: new Map([['main', settings]]), observer: databaseMetrics(new Registry(), () => []) });
let replay;
const mcpd = createMcpd(config, {
  register: (server) => {
    server.tool({ ...oneTrip, name: 'db_query_1rt' });
    server.tool({ ...oneTrip, name: 'db_query_replay', handler: async (args, ctx) => (replay ??= await oneTrip.handler(args, ctx)) });
  },
});
process.exit(await runMcpd(mcpd));
