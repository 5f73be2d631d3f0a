// The transport floor for bench/database.mjs and bench/http.mjs: mcpd as `mcpd serve` assembles it (createMcpd +
// runMcpd from dist/app, configuration from MCPD_* as `mcpd serve` reads it, the built-in packs included) plus
// replay tools that are not mcpd's. Each has the input of the pack's tool, runs the pack's own tool (from dist/,
// on a database or HTTP client of its own) once per distinct input and then answers that input with the first
// result: the same response bytes with no database or upstream behind them — what the transport, JSON-RPC and
// result serialisation of that response cost.
//   db_query_replay      the database pack's db_query (when database.dsn is set)      -> variant `floor` of database.mjs
//   http_request_replay  the HTTP pack's http_request (when httpRequests is enabled)  -> variant `floor` of http.mjs
// Run: MCPD_ENV=production MCPD_HTTP__PORT=3000 [MCPD_DATABASE__DSN=postgres://…] node bench/replay-server.mjs
import { Registry } from 'prom-client';
import { createMcpd, loadConfig, runMcpd } from '../dist/app/index.js';

const { config } = loadConfig();

/** The tool under another name, answering each distinct input with the result of its first call with that input. */
function replayOf(tool) {
  const first = new Map();
  return {
    ...tool,
    name: `${tool.name}_replay`,
    handler: async (args, ctx) => {
      const key = JSON.stringify(args);
      if (!first.has(key)) first.set(key, await tool.handler(args, ctx));
      return first.get(key);
    },
  };
}

const tools = [];
if (config.database.dsn) {
  const [{ PgDatabase }, { databaseMetrics }, { databaseEntry }, { loadSqlParser }, { queryTool }] = await Promise.all([
    import('../dist/packs/database/pg-database.js'), import('../dist/packs/database/metrics.js'), import('../dist/packs/database/settings.js'),
    import('../dist/packs/database/sql-guard.js'), import('../dist/packs/database/tools.js'),
  ]);
  await loadSqlParser();
  const settings = config.database.databases.main ?? databaseEntry.parse({});
  const databases = new Map([['main', new PgDatabase('main', { connectionString: config.database.dsn, application_name: 'mcpd-bench-replay' }, settings)]]);
  tools.push(replayOf(queryTool({ databases, entries: new Map([['main', settings]]), observer: databaseMetrics(new Registry(), () => databases.values()) })));
}
if (config.httpRequests.enabled) {
  // As src/packs/http/index.ts builds the client (no cache: the replayed call does not ask for one).
  const [{ HttpClient }, { HostBreakers }, { AddressPolicy }, { UrlPolicy }, { createVettedAgent }, { httpRequestTool }] = await Promise.all([
    import('../dist/packs/http/client.js'), import('../dist/packs/http/resilience/breakers.js'), import('../dist/packs/http/ssrf/address-policy.js'),
    import('../dist/packs/http/ssrf/url-policy.js'), import('../dist/packs/http/ssrf/vetted-agent.js'), import('../dist/packs/http/tools.js'),
  ]);
  const settings = config.httpRequests;
  const addresses = new AddressPolicy(settings.allowPrivateNetworks);
  const client = new HttpClient(settings, {
    dispatcher: createVettedAgent({ policy: addresses, connectTimeoutMs: settings.connectTimeoutMs }),
    urlPolicy: new UrlPolicy(settings, addresses),
    breakers: new HostBreakers(settings.breaker),
  });
  tools.push(replayOf(httpRequestTool(settings, () => client)));
}

const mcpd = createMcpd(config, { register: (server) => { for (const tool of tools) server.tool(tool); } });
process.exit(await runMcpd(mcpd));
