// Database tools benchmark (the database pack, issue 5): what `db_query` adds over a bare `pg` query, and
// whether a million-row table stays bounded in memory when asked for 100 rows.
//
//   BENCH_ONLY=database npm run bench     (results in .bench/results.json under `database`)
//   node bench/database.mjs               (after `npm run build`; results in .bench/database.json)
//
// On the real PostgreSQL (BENCH_DB_URL, default $MCPD_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/postgres,
// a role that may CREATE DATABASE) a throwaway database is created with two tables, and dropped at the end:
//   items  10,000 rows: int, text, numeric, timestamptz, jsonb   — the 100-row query reads 100 of them
//   big    1,000,000 rows (generate_series, UNLOGGED), same column types
//
// 1. Latency: the same SQL with the same parameter (`SELECT … FROM items WHERE id > $1 ORDER BY id LIMIT 100`),
//    the same pool size, by 1 and 8 closed-loop callers, interleaved slices so background load hits all alike:
//      bare      pg.Pool.query(sql, params) in this process — one round trip, driver defaults
//      bareTx    pg, the pack's safety protocol written the plain way, three round trips:
//                BEGIN READ ONLY + SET LOCAL …; query; ROLLBACK (what the executor sends in one)
//      executor  the pack's PgDatabase.read() in this process (dist/): one round trip (portal-read.ts: BEGIN READ
//                ONLY, SET LOCAL timeouts, the query with a portal row limit, ROLLBACK, Sync), JSON-safe values, caps
//      tool      the db_query tool in this process: input parsing, the SQL guard (libpg-query, verdicts cached by
//                text), metrics, executor
//      http      `mcpd serve` (dist/bin/mcpd.js, production settings) in a child process, tools/call posted over
//                keep-alive HTTP/1.1 by a minimal client (2026-07-28 stateless request style)
//      floor     the transport floor: `mcpd serve` plus a tool `db_query_replay` (bench/replay-server.mjs) answering
//                with its first call's result again — the same response bytes, no database
//      sdk       (optional) the same tool — same guard and executor from dist/ — on the official SDK v2
//                (bench/sdk-db-server.mjs), same request style
//    p50/p99 latency, calls/s, CPU per call of this process and of the server child, and the ratios over `bare`
//    (the bar: p50 <= 1.3x bare for a 100-row result; printed for the tool in-process and for http, with the
//    floor and the SDK beside them). In-process variants share this one thread with the load loop: at 8 callers
//    they measure CPU per call more than latency.
// 2. Big table: db_query through the mcpd server on `big` with maxRows 100 — `SELECT * FROM big` and
//    `SELECT * FROM big ORDER BY amount DESC, id` (a full sort) — time per call, and the server's RSS (sampled,
//    and the kernel's high-water mark reset before each run) and V8 heap (sampled from /metrics); against a
//    bare `pg` query of the whole `SELECT * FROM big` in a child process (it loads every row), and, for time,
//    bare queries that carry their own LIMIT 101.
//
// Environment (besides BENCH_ONLY, BENCH_* of bench/run.mjs do not apply here):
//   BENCH_DB_URL          admin connection URL (see above)
//   BENCH_DB_DURATION     measured seconds per variant and concurrency (default 6)
//   BENCH_DB_ROUNDS       the measurement is split into this many interleaved slices (default 3)
//   BENCH_DB_WARMUP       warm-up seconds per variant and concurrency (default 1)
//   BENCH_DB_CONCURRENCY  comma list of concurrent callers (default 1,8)
//   BENCH_DB_POOL         pool size of every variant (default 10, the pack's default pool.max)
//   BENCH_DB_VARIANTS     comma list (default bare,bareTx,executor,tool,http,floor,sdk)
//   BENCH_DB_BIG_ROWS     rows in `big` (default 1000000)
//   BENCH_DB_BIG_SECONDS  seconds of calls per big-table scan run (default 3)
//   BENCH_DB_BIG_SORT_CALLS  calls of the ORDER BY run (default 5; each sorts the whole table)
//   BENCH_DB_BIG          0 skips the big-table part
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  envList, envNumber, interleavedRounds, exited, fmt, freePort, HOST, newAcc, parseRpc, percentile, procStatus, RawHttp, resetHwm, runStandalone, stopChild, summarize, table, tail, toolCallRequest, waitForPort,
} from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const DIST = (path) => pathToFileURL(`${ROOT}dist/${path}`).href;


export const DB_CONFIG = {
  adminUrl: process.env.BENCH_DB_URL ?? process.env.MCPD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  duration: envNumber('BENCH_DB_DURATION', 6),
  rounds: Math.round(envNumber('BENCH_DB_ROUNDS', 3)),
  warmup: envNumber('BENCH_DB_WARMUP', 1),
  concurrency: envList('BENCH_DB_CONCURRENCY', '1,8').map(Number),
  pool: Math.round(envNumber('BENCH_DB_POOL', 10)),
  variants: envList('BENCH_DB_VARIANTS', 'bare,bareTx,executor,tool,http,floor,sdk'),
  bigRows: Math.round(envNumber('BENCH_DB_BIG_ROWS', 1_000_000)),
  bigSeconds: envNumber('BENCH_DB_BIG_SECONDS', 3),
  bigSortCalls: Math.round(envNumber('BENCH_DB_BIG_SORT_CALLS', 5)),
  big: process.env.BENCH_DB_BIG !== '0',
};

// The 100-row query: an index range scan, 100 rows of five column types.
const SQL = 'SELECT id, name, amount, created_at, attrs FROM items WHERE id > $1 ORDER BY id LIMIT 100';
const PARAMS = [1000];
const EXPECTED_IDS = Array.from({ length: 100 }, (_, i) => 1001 + i);
const ROWS_MARK = '"rowCount":100,';
const BIG_SORT_SQL = 'SELECT * FROM big ORDER BY amount DESC, id';
const BIG_QUERIES = [
  { key: 'scan', label: 'db_query SELECT * FROM big, maxRows 100', sql: 'SELECT * FROM big', callers: 1, timed: true },
  { key: 'sort', label: `db_query ${BIG_SORT_SQL}, maxRows 100`, sql: BIG_SORT_SQL, callers: 1, timed: false },
  { key: 'scan8', label: 'db_query SELECT * FROM big, maxRows 100', sql: 'SELECT * FROM big', callers: 8, timed: true },
];
// Bare pg references (this process, time only): the same reads written with a LIMIT by the caller.
const BIG_BARE = [
  { key: 'bareLimit', label: 'bare pg SELECT * FROM big LIMIT 101', sql: 'SELECT * FROM big LIMIT 101', calls: 50 },
  { key: 'bareSortLimit', label: `bare pg ${BIG_SORT_SQL} LIMIT 101 (top-N sort)`, sql: `${BIG_SORT_SQL} LIMIT 101`, calls: 5 },
];

const LABELS = {
  bare: 'bare pg Pool.query',
  bareTx: 'bare pg, BEGIN RO + SET LOCAL; query; ROLLBACK (3 trips)',
  executor: 'pack executor PgDatabase.read (in-process)',
  tool: 'db_query tool handler (in-process)',
  http: 'mcpd serve, db_query over HTTP',
  floor: 'floor: mcpd serve, the same response replayed, HTTP',
  sdk: 'SDK v2, same tool over HTTP',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- throwaway database
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (err) { return err.code === 'EPERM'; } };

async function createDatabase(adminUrl, bigRows, step) {
  const name = `mcpd_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const root = new pg.Client({ connectionString: adminUrl });
  await root.connect();
  // A run killed by a signal cannot drop its database; drop those whose process is gone.
  const stale = (await root.query(`SELECT datname FROM pg_database WHERE datname ~ '^mcpd_bench_[0-9]+_[0-9a-f]{8}$'`)).rows
    .map((r) => r.datname).filter((n) => !alive(Number(n.split('_')[2])));
  for (const old of stale) {
    step?.(`dropping ${old}, left by an interrupted run`);
    await root.query(`DROP DATABASE IF EXISTS ${old} WITH (FORCE)`);
  }
  await root.query(`CREATE DATABASE ${name}`);
  await root.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const t0 = performance.now();
  await admin.query(`
    CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, attrs jsonb NOT NULL);
    INSERT INTO items SELECT g, 'item ' || g, (g * 1.37)::numeric(12,2), '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 minute',
      jsonb_build_object('color', (ARRAY['red','green','blue'])[1 + g % 3], 'size', g % 50, 'tags', jsonb_build_array('a', 'b'))
      FROM generate_series(1, 10000) g;
    ANALYZE items;`);
  if (bigRows > 0) {
    step?.(`creating big (${bigRows.toLocaleString('en-US')} rows)`);
    await admin.query(`
      CREATE UNLOGGED TABLE big (id int NOT NULL, name text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL, attrs jsonb NOT NULL);
      INSERT INTO big SELECT g, 'row ' || g, (g % 100000 * 0.01)::numeric(12,2), '2024-01-01T00:00:00Z'::timestamptz + g * interval '1 second',
        jsonb_build_object('k', g % 1000) FROM generate_series(1, ${Number(bigRows)}) g;
      ANALYZE big;`);
  }
  const size = (await admin.query(`SELECT pg_total_relation_size('items') AS items, ${bigRows > 0 ? "pg_total_relation_size('big')" : '0'} AS big`)).rows[0];
  return {
    name,
    url: url.toString(),
    admin,
    setupMs: performance.now() - t0,
    sizes: { itemsBytes: Number(size.items), bigBytes: Number(size.big) },
    drop: async () => {
      await admin.end().catch(() => {});
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

// ---------------------------------------------------------------- the MCP endpoint
/** A client of one HTTP MCP endpoint: `call(args)` resolves the raw body after a cheap check. */
function httpClient(port, tool) {
  const conns = [];
  let id = 0;
  return {
    async open(n) { while (conns.length < n) conns.push(await new RawHttp(port).connect()); },
    async call(worker, args, mark = ROWS_MARK) {
      const r = await conns[worker].request(toolCallRequest(port, ++id, tool, args));
      if (r.status !== 200 || !r.body.includes(mark) || r.body.includes('"isError":true')) throw new Error(`bad tools/call response: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      return r.body;
    },
    /** A full check: the tool's rows are the rows PostgreSQL returns for the same query. */
    async verify(args) {
      const r = await conns[0].request(toolCallRequest(port, ++id, tool, args));
      const msg = parseRpc(r.body);
      const sc = msg.result?.structuredContent;
      const ids = sc?.rows?.map((row) => row[0]);
      if (r.status !== 200 || msg.result?.isError || sc?.rowCount !== 100 || sc.columns.length !== 5 || JSON.stringify(ids) !== JSON.stringify(EXPECTED_IDS)) {
        throw new Error(`db_query returned something else than the 100 expected rows: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      }
      return r.body.length;
    },
    close() { for (const c of conns) c.close(); conns.length = 0; },
  };
}

// ---------------------------------------------------------------- child processes
async function spawnServer(kind, dbUrl, track) {
  const port = await freePort();
  const mcpdEnv = {
    // `mcpd serve` as deployed (config/production.yaml: JSON access log at info, metrics on), loopback.
    MCPD_ENV: 'production',
    MCPD_HTTP__HOST: HOST,
    MCPD_HTTP__PORT: String(port),
    MCPD_DATABASE__DSN: dbUrl,
    MCPD_DATABASE__DATABASES__MAIN__POOL__MAX: String(DB_CONFIG.pool),
  };
  const { args, env } = {
    http: { args: [`${ROOT}dist/bin/mcpd.js`, 'serve'], env: mcpdEnv },
    floor: { args: [`${BENCH}replay-server.mjs`], env: mcpdEnv },
    sdk: { args: [`${BENCH}sdk-db-server.mjs`], env: { PORT: String(port), BENCH_DB_DSN: dbUrl, BENCH_DB_POOL: String(DB_CONFIG.pool) } },
  }[kind];
  const child = track(spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }), `db-${kind}`);
  const stderr = tail(child.stderr);
  const died = exited(child).then(() => { throw new Error(`${kind} server exited early (${child.exitCode ?? child.signalCode}): ${stderr.text}`); });
  died.catch(() => {});
  await Promise.race([waitForPort(port), died]);
  return { child, port, stderr, origin: `http://${HOST}:${port}` };
}

// ---------------------------------------------------------------- the variants
async function makeVariant(key, ctx) {
  const { db } = ctx;
  if (key === 'bare') {
    const pool = new pg.Pool({ connectionString: db.url, max: DB_CONFIG.pool });
    const run = async () => {
      const r = await pool.query(SQL, PARAMS);
      if (r.rows.length !== 100) throw new Error(`bare: ${r.rows.length} rows`);
      return r;
    };
    const r = await run();
    if (JSON.stringify(r.rows.map((row) => row.id)) !== JSON.stringify(EXPECTED_IDS)) throw new Error('bare: unexpected rows');
    return { call: run, close: () => pool.end() };
  }
  if (key === 'bareTx') {
    // The executor's protocol written the plain way: 3 round trips (the executor sends it in one write).
    const pool = new pg.Pool({ connectionString: db.url, max: DB_CONFIG.pool });
    const begin = 'BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = 5000; SET LOCAL lock_timeout = 1000; SET LOCAL idle_in_transaction_session_timeout = 10000';
    const run = async () => {
      const client = await pool.connect();
      try {
        await client.query(begin);
        const r = await client.query({ text: SQL, values: PARAMS, rowMode: 'array' });
        await client.query('ROLLBACK');
        if (r.rows.length !== 100) throw new Error(`bareTx: ${r.rows.length} rows`);
        return r;
      } finally {
        client.release();
      }
    };
    await run();
    return { call: run, close: () => pool.end() };
  }
  if (key === 'executor' || key === 'tool') {
    const [{ PgDatabase }, { databaseEntry }, { queryTool }, { loadSqlParser }, { databaseMetrics }, { Registry }] = await Promise.all([
      import(DIST('packs/database/pg-database.js')), import(DIST('packs/database/settings.js')), import(DIST('packs/database/tools.js')),
      import(DIST('packs/database/sql-guard.js')), import(DIST('packs/database/metrics.js')), import('prom-client'),
    ]);
    const settings = databaseEntry.parse({ pool: { max: DB_CONFIG.pool } });
    const pgdb = new PgDatabase('main', { connectionString: db.url }, settings);
    let run;
    if (key === 'executor') {
      const options = { maxRows: settings.defaultRows, maxBytes: settings.maxResultBytes, timeoutMs: settings.statementTimeoutMs };
      run = async () => {
        const r = await pgdb.read(SQL, PARAMS, options);
        if (r.rowCount !== 100) throw new Error(`executor: ${r.rowCount} rows`);
        return r;
      };
    } else {
      await loadSqlParser();
      const databases = new Map([['main', pgdb]]);
      // The pack as `mcpd serve` wires it: metrics on (a registry of its own here).
      const tool = queryTool({ databases, entries: new Map([['main', settings]]), observer: databaseMetrics(new Registry(), () => databases.values()) });
      const raw = { sql: SQL, params: PARAMS };
      const signal = new AbortController().signal;
      run = async () => {
        const r = await tool.handler(tool.input.parse(raw), { signal });
        if (r.rowCount !== 100) throw new Error(`${key}: ${r.rowCount} rows`);
        return r;
      };
    }
    const r = await run();
    if (JSON.stringify(r.rows.map((row) => row[0])) !== JSON.stringify(EXPECTED_IDS)) throw new Error(`${key}: unexpected rows`);
    return { call: run, close: () => pgdb.close() };
  }
  if (key === 'http' || key === 'floor' || key === 'sdk') {
    const srv = await spawnServer(key, db.url, ctx.track);
    const client = httpClient(srv.port, key === 'floor' ? 'db_query_replay' : 'db_query');
    await client.open(Math.max(...DB_CONFIG.concurrency));
    const args = { sql: SQL, params: PARAMS };
    const responseBytes = await client.verify(args); // correctness gate before any timing
    return {
      srv,
      client,
      responseBytes,
      cpuPids: { server: srv.child.pid },
      call: (worker) => client.call(worker, args),
      close: async () => { client.close(); await stopChild(srv.child); },
    };
  }
  throw new Error(`unknown variant ${key}`);
}

async function benchLatency(ctx, out) {
  const { log, step } = ctx;
  const keys = DB_CONFIG.variants.filter((k) => LABELS[k]);
  const slice = (DB_CONFIG.duration / DB_CONFIG.rounds) * 1000;
  log(`\n-- 1. The 100-row query, same SQL and pool size (${DB_CONFIG.pool}); per variant and concurrency ${DB_CONFIG.warmup}s warm-up, ` +
    `then ${DB_CONFIG.duration}s as ${DB_CONFIG.rounds} interleaved slices --\n   ${SQL}   -- $1 = ${PARAMS[0]}`);
  const variants = {};
  try {
    for (const key of keys) {
      step(`starting ${key}`);
      try {
        variants[key] = await makeVariant(key, ctx);
      } catch (err) {
        out.errors.push(`${key}: ${err?.message ?? err}`);
        console.error(`  ! ${key}: ${err?.message ?? err}`);
      }
    }
    if (variants.http) out.httpResponseBytes = variants.http.responseBytes;
    const ready = keys.filter((k) => variants[k]);
    const runs = [];
    for (const callers of DB_CONFIG.concurrency) {
      const accs = Object.fromEntries(ready.map((k) => [k, newAcc()]));
      for (const k of ready) if (variants[k].srv) variants[k].hwmReset = resetHwm(variants[k].srv.child.pid);
      const loads = await interleavedRounds(variants, ready, {
        callers, warmupMs: DB_CONFIG.warmup * 1000, rounds: DB_CONFIG.rounds, sliceMs: slice, accs, label: `${callers} caller(s): `, step,
      });
      for (const k of ready) {
        const { cpuUsPerCall, ...summary } = summarize(accs[k]);
        runs.push({
          variant: k, label: LABELS[k], callers, ...summary, loadavg: loads,
          // CPU per call: this process (benchCpuUsPerCall: the in-process variants' work, or the HTTP client) and the server child.
          serverCpuUsPerCall: cpuUsPerCall.server,
          // The server's RSS high-water mark over this concurrency's warm-up and slices (reset before them).
          serverPeakRss: variants[k].srv && variants[k].hwmReset ? procStatus(variants[k].srv.child.pid)?.hwm : undefined,
        });
      }
    }
    out.runs = runs;
    const get = (k, c) => runs.find((r) => r.variant === k && r.callers === c);
    out.ratios = DB_CONFIG.concurrency.map((c) => {
      const b = get('bare', c);
      const ratio = (k, f) => { const r = get(k, c); return r && b ? f(r) / f(b) : NaN; };
      return {
        callers: c,
        ...Object.fromEntries(ready.filter((k) => k !== 'bare').flatMap((k) => [
          [`p50_${k}_over_bare`, ratio(k, (r) => r.p50Ms)],
          [`p99_${k}_over_bare`, ratio(k, (r) => r.p99Ms)],
          [`callsPerSec_${k}_over_bare`, ratio(k, (r) => r.callsPerSec)],
        ])),
      };
    });
    log(table(['callers', 'variant', 'calls/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 / bare', 'p99 / bare', 'calls/s / bare', 'CPU us/call here', 'server', 'errors'],
      runs.map((r) => {
        const b = get('bare', r.callers);
        return [String(r.callers), r.label, fmt.int(r.callsPerSec), fmt.ms(r.p50Ms), fmt.ms(r.p90Ms), fmt.ms(r.p99Ms),
          b ? fmt.x(r.p50Ms / b.p50Ms) : 'n/a', b ? fmt.x(r.p99Ms / b.p99Ms) : 'n/a', b ? fmt.pct(r.callsPerSec / b.callsPerSec) : 'n/a',
          fmt.int(r.benchCpuUsPerCall), r.serverCpuUsPerCall === undefined ? '' : fmt.int(r.serverCpuUsPerCall), fmt.int(r.errors)];
      })));
    const bar = out.ratios.map((r) => `${r.callers} caller(s): tool in-process ${fmt.x(r.p50_tool_over_bare)}, mcpd over HTTP ${fmt.x(r.p50_http_over_bare)} ` +
      `(transport floor alone ${fmt.x(r.p50_floor_over_bare)}; SDK v2 ${fmt.x(r.p50_sdk_over_bare)})`).join('; ');
    log('(CPU us/call here: this process — the in-process variants\' work, or the HTTP client; server: the mcpd or SDK child process. PostgreSQL\'s CPU is not counted.)');
    log(`Bar (p50 / bare pg <= 1.30x for a 100-row result): ${bar}` +
      (variants.http ? `; one HTTP response is ${fmt.int(out.httpResponseBytes)} bytes (rows twice: text content and structuredContent)` : ''));
    // Where the time goes: differences of p50 between adjacent layers, per concurrency.
    out.layers = DB_CONFIG.concurrency.map((c) => {
      const p = (k) => get(k, c)?.p50Ms;
      return {
        callers: c,
        transactionAndValuesMs: p('executor') - p('bare'),
        guardInputMetricsMs: p('tool') - p('executor'),
        transportAndSerialisationMs: p('http') - p('tool'),
        floorMs: p('floor'),
        sdkOverHttp: p('sdk') / p('http'),
      };
    });
    log('Where the p50 goes (ms): ' + out.layers.map((l) => `${l.callers} caller(s): executor - bare ${fmt.ms(l.transactionAndValuesMs)}, ` +
      `tool - executor ${fmt.ms(l.guardInputMetricsMs)}, http - tool ${fmt.ms(l.transportAndSerialisationMs)}, ` +
      `floor ${fmt.ms(l.floorMs)}; SDK / mcpd over HTTP ${fmt.x(l.sdkOverHttp)}`).join('; '));
    for (const r of runs) if (r.errors) out.errors.push(`${r.variant} x${r.callers}: ${r.errors} failed calls, last: ${r.lastError}`);
    return variants;
  } catch (err) {
    for (const v of Object.values(variants)) await v.close().catch(() => {});
    throw err;
  }
}

// ---------------------------------------------------------------- 2. the million-row table
async function scrapeMemory(origin) {
  try {
    const res = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const val = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return { heapUsed: val('nodejs_heap_size_used_bytes'), heapTotal: val('nodejs_heap_size_total_bytes'), rss: val('process_resident_memory_bytes') };
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS from /proc every `everyMs` and its V8 heap from /metrics every `heapEveryMs`. */
function memorySampler(pid, origin, everyMs = 20, heapEveryMs = 100) {
  let maxRss = 0;
  let maxHeap = 0;
  let heapSamples = 0;
  const rssTimer = setInterval(() => { const s = procStatus(pid); if (s) maxRss = Math.max(maxRss, s.rss); }, everyMs);
  let stopped = false;
  const heapLoop = (async () => {
    while (!stopped) {
      const m = await scrapeMemory(origin);
      if (m && Number.isFinite(m.heapUsed)) { maxHeap = Math.max(maxHeap, m.heapUsed); heapSamples++; }
      await sleep(heapEveryMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearInterval(rssTimer);
      await heapLoop;
      const s = procStatus(pid);
      return { maxSampledRss: Math.max(maxRss, s?.rss ?? 0), peakHwm: s?.hwm, maxSampledHeapUsed: maxHeap, heapSamples };
    },
  };
}

/** Bytes a process has read through read(2) and friends (sockets included), from /proc/<pid>/io. */
function procReadBytes(pid) {
  try {
    return Number(/^rchar: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}


/** A bare `pg` query of the whole table in a fresh process (it holds every row): time, RSS high-water mark, heap. */
function bareFullQuery(url, track) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, [fileURLToPath(import.meta.url), '--bare-full', url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }), 'db-bare-full');
    const out = tail(child.stdout, 100_000);
    const err = tail(child.stderr);
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('bare full query timed out')); }, 180_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`bare full query exited ${code ?? signal}: ${err.text}`));
      resolve(JSON.parse(out.text.trim().split('\n').pop()));
    });
  });
}

async function bareFullMain(url) {
  const idle = procStatus(process.pid);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query('SELECT 1');
  const before = procStatus(process.pid);
  const heapBefore = process.memoryUsage().heapUsed;
  const read0 = procReadBytes(process.pid);
  const t0 = performance.now();
  const r = await pool.query('SELECT * FROM big');
  const ms = performance.now() - t0;
  const readBytes = procReadBytes(process.pid) - read0;
  const heapUsed = process.memoryUsage().heapUsed;
  const after = procStatus(process.pid);
  const rows = r.rows.length;
  await pool.end();
  process.stdout.write(JSON.stringify({ rows, ms, idleRss: idle?.rss, rssBefore: before?.rss, peakHwm: after?.hwm, rssAfter: after?.rss, heapBefore, heapUsedHoldingRows: heapUsed, readBytes }) + '\n');
}

async function benchBig(ctx, out, http) {
  const { log, step } = ctx;
  log(`\n-- 2. ${DB_CONFIG.bigRows.toLocaleString('en-US')}-row table (${fmt.mb(ctx.db.sizes.bigBytes)} MB on disk), db_query with maxRows 100 through the mcpd server ` +
    `(RSS sampled every 20 ms, high-water mark reset before each run; V8 heap sampled from /metrics every 100 ms) --`);
  const { srv, client } = http;
  const pid = srv.child.pid;
  const idle = procStatus(pid);
  const idleHeap = await scrapeMemory(srv.origin);
  out.serverIdle = { rss: idle?.rss, heapUsed: idleHeap?.heapUsed };
  const runs = [];
  for (const q of BIG_QUERIES) {
    step(`big: ${q.label}, ${q.callers} caller(s), ${q.timed ? `${DB_CONFIG.bigSeconds}s` : `${DB_CONFIG.bigSortCalls} calls`}`);
    const args = { sql: q.sql, maxRows: 100 };
    const mark = '"rowCount":100,"truncated":true';
    await client.call(0, args, mark); // warm (plan, buffers)
    const hwmReset = resetHwm(pid);
    const startRss = procStatus(pid)?.rss;
    const read0 = procReadBytes(pid);
    const sampler = memorySampler(pid, srv.origin);
    const lat = [];
    let started = 0;
    const t0 = performance.now();
    const more = () => (q.timed ? performance.now() - t0 < DB_CONFIG.bigSeconds * 1000 : started < DB_CONFIG.bigSortCalls);
    await Promise.all(Array.from({ length: q.callers }, async (_, worker) => {
      while (more()) {
        started++;
        const s = performance.now();
        await client.call(worker, args, mark);
        lat.push(performance.now() - s);
      }
    }));
    const wallMs = performance.now() - t0;
    const readBytes = procReadBytes(pid) - read0;
    const mem = await sampler.stop();
    lat.sort((a, b) => a - b);
    runs.push({
      // readBytesPerCall: what the server read from its sockets (HTTP request + PostgreSQL's answer) per call,
      // heap samples included (small): the measure of "never loads the table".
      key: q.key, label: q.label, sql: q.sql, callers: q.callers, calls: lat.length, wallMs, startRss, readBytesPerCall: readBytes / lat.length, p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), maxMs: lat[lat.length - 1],
      hwmReset, peakRss: hwmReset ? mem.peakHwm : mem.maxSampledRss, maxSampledRss: mem.maxSampledRss, maxSampledHeapUsed: mem.maxSampledHeapUsed, heapSamples: mem.heapSamples,
    });
  }
  const refs = [];
  const pool = new pg.Pool({ connectionString: ctx.db.url, max: 1 });
  try {
    for (const b of BIG_BARE) {
      step(`big: ${b.label}`);
      await pool.query(b.sql);
      const lat = [];
      for (let i = 0; i < b.calls; i++) {
        const s = performance.now();
        const r = await pool.query(b.sql);
        lat.push(performance.now() - s);
        if (r.rows.length !== 101) throw new Error(`${b.label}: ${r.rows.length} rows`);
      }
      lat.sort((a, b2) => a - b2);
      refs.push({ key: b.key, label: b.label, sql: b.sql, calls: lat.length, p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99) });
    }
  } finally {
    await pool.end();
  }
  out.bigBareReferences = refs;
  step('big: bare pg SELECT * FROM big in a child process');
  let bare;
  try {
    bare = await bareFullQuery(ctx.db.url, ctx.track);
  } catch (err) {
    out.errors.push(`bare full query: ${err?.message ?? err}`);
  }
  out.bigRuns = runs;
  out.bareFull = bare;
  const rows = runs.map((r) => [r.label, `${fmt.int(r.calls)} calls, ${r.callers} caller(s)`, fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), fmt.kb(r.readBytesPerCall), fmt.mb(r.startRss), fmt.mb(r.peakRss),
    fmt.mb(r.peakRss - r.startRss), fmt.mb(r.maxSampledHeapUsed)]);
  // Control: the same server serving the 100-row query on the 10,000-row table in part 1.
  for (const r of out.runs?.filter((x) => x.variant === 'http' && x.serverPeakRss) ?? []) {
    rows.push(['control: db_query 100-row query on items (part 1)', `${fmt.int(r.calls)} calls, ${r.callers} caller(s)`, fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), '', '', fmt.mb(r.serverPeakRss), '', '']);
  }
  for (const r of refs) rows.push([r.label, `${r.calls} calls, this process`, fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), '', '', '', '', '']);
  if (bare) {
    rows.push([`bare pg SELECT * FROM big (no limit) -> ${fmt.int(bare.rows)} rows`, '1 call, fresh process', fmt.ms(bare.ms), '', fmt.kb(bare.readBytes), fmt.mb(bare.rssBefore), fmt.mb(bare.peakHwm),
      fmt.mb(bare.peakHwm - bare.rssBefore), fmt.mb(bare.heapUsedHoldingRows)]);
  }
  log(table(['query', 'calls', 'p50 ms', 'p99 ms', 'read KB/call', 'RSS at start MB', 'peak RSS MB', 'peak - start MB', 'max heap MB'], rows));
  log(`(mcpd server idle before part 2: RSS ${fmt.mb(out.serverIdle.rss)} MB, heap ${fmt.mb(out.serverIdle.heapUsed)} MB; read KB/call: bytes the process read from its sockets — ` +
    'HTTP request and PostgreSQL\'s answer — per call)');
  const worst = Math.max(...runs.map((r) => r.peakRss));
  const control = Math.max(...(out.runs ?? []).filter((x) => x.variant === 'http' && x.serverPeakRss).map((x) => x.serverPeakRss));
  const maxRead = Math.max(...runs.map((r) => r.readBytesPerCall));
  log(`Bound: serving 100 rows of ${fmt.int(DB_CONFIG.bigRows)}, the server read at most ${fmt.kb(maxRead)} KB per call and its RSS peaked at ${fmt.mb(worst)} MB ` +
    `(idle ${fmt.mb(out.serverIdle.rss)} MB; ${fmt.mb(control)} MB serving the 100-row query on 10,000 rows in part 1)` +
    (bare ? `; bare pg loading the whole table read ${fmt.mb(bare.readBytes)} MB, grew its RSS by ${fmt.mb(bare.peakHwm - bare.rssBefore)} MB ` +
      `and held ${fmt.mb(bare.heapUsedHoldingRows)} MB of heap.` : '.'));
}

// ---------------------------------------------------------------- entry points
/**
 * The benchmark: `results.database` gets config, environment, latency runs and ratios, the big-table runs.
 * `h.track(child, name)` registers a child process for cleanup; `h.log` prints; `h.step` shows progress.
 */
export async function benchDatabase(results, h) {
  const log = h?.log ?? ((...a) => console.log(...a));
  const step = h?.step ?? ((msg) => process.stderr.write(`  · ${msg}\n`));
  const track = h?.track ?? ((child) => child);
  const out = { config: { ...DB_CONFIG, adminUrl: undefined, sql: SQL, params: PARAMS }, errors: [], loadavgAtStart: os.loadavg() };
  results.database = out;
  log(`\n== Database tools: db_query vs bare pg on the real PostgreSQL (${DB_CONFIG.variants.join(', ')}; callers ${DB_CONFIG.concurrency.join(', ')}) ==`);
  step('creating the throwaway database');
  const db = await createDatabase(DB_CONFIG.adminUrl, DB_CONFIG.big ? DB_CONFIG.bigRows : 0, step);
  out.database = { setupMs: db.setupMs, ...db.sizes, server: (await db.admin.query('SHOW server_version')).rows[0].server_version };
  const ctx = { db, log, step, track };
  let variants = {};
  try {
    variants = await benchLatency(ctx, out);
    if (DB_CONFIG.big) {
      // The big-table part runs on the mcpd server of part 1 (a fresh one if `http` was not measured).
      const http = variants.http ?? (variants.http = await makeVariant('http', ctx));
      await benchBig(ctx, out, http);
    }
  } finally {
    for (const v of Object.values(variants)) await v.close().catch(() => {});
    step('dropping the throwaway database');
    await db.drop().catch((err) => out.errors.push(`drop ${db.name}: ${err?.message ?? err}`));
  }
  out.loadavgAtEnd = os.loadavg();
  if (out.errors.length) { log(`\nDatabase section errors:`); for (const e of out.errors) log(`  - ${e}`); }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--bare-full') {
    await bareFullMain(process.argv[3]);
    process.exit(0);
  }
  await runStandalone('database', (results, track) => benchDatabase(results, { track }));
}
