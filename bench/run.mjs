// mcpd benchmark. `npm run bench` = `npm run build && node bench/run.mjs`.
//
// Sections (all on 127.0.0.1, every server in its own child process, all children killed on exit):
//   1. throughput  autocannon vs bare node:http / mcpd / SDK v2, in both protocol styles
//   2. sessions    retained heap per idle 2025-11-25 session (bench/session-memory.mjs, --expose-gc)
//   3. leak        heap after forced GC before/after a sustained load (bench/leak-server.mjs, --expose-gc)
//   4. stdio       cold start: spawn -> first response line to an initialize request
//   5. database    opt-in (BENCH_ONLY=database, or add it to the list): db_query vs a bare pg query on the real
//                  PostgreSQL, and a million-row table with maxRows 100 (bench/database.mjs; BENCH_DB_* knobs there)
//   6. http        opt-in (BENCH_ONLY=http): http_request vs a bare undici request to a local node:http upstream,
//                  ~1 KB and ~100 KB JSON (bench/http.mjs; BENCH_HTTP_* knobs there; ~4 minutes)
//
// Environment:
//   BENCH_DURATION       measured seconds per server and style in the throughput section (default 10)
//   BENCH_ROUNDS         the measurement is split into this many interleaved slices (default 5, i.e. 2 s slices)
//   BENCH_CONNECTIONS    autocannon connections (default 50)
//   BENCH_WARMUP         warm-up seconds before each measured run (default 2)
//   BENCH_LEAK_DURATION  seconds of load per leak-check run (default 12)
//   BENCH_SESSIONS       sessions opened by the session-memory check (default 1000)
//   BENCH_SESSION_REPEATS  session-memory runs per server; the median is reported (default 3)
//   BENCH_STDIO_RUNS     cold starts per stdio server (default 20)
//   BENCH_ONLY           comma list of sections to run: throughput,sessions,leak,stdio,database,http
//                        (default throughput,sessions,leak,stdio: the database section needs PostgreSQL, and
//                        both opt-in sections take minutes of their own)
//   BENCH_SERVERS        comma list of throughput servers (default all): bare,mcpd,chassis,chassisApiKey,chassisJwt,sdk
// Results: printed, and written to .bench/results.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import {
  callBodyParts, callHeaders, ECHO_TEXT, envNumber, fmt, freePort, HOST, median, openSession, percentile, procStatus, SESSION_VERSION, table, verifyEcho, waitForPort,
} from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const CONFIG = {
  duration: envNumber('BENCH_DURATION', 10),
  connections: envNumber('BENCH_CONNECTIONS', 50),
  warmup: envNumber('BENCH_WARMUP', 2),
  leakDuration: envNumber('BENCH_LEAK_DURATION', 12),
  sessions: envNumber('BENCH_SESSIONS', 1000),
  sessionRepeats: envNumber('BENCH_SESSION_REPEATS', 3),
  rounds: Math.round(envNumber('BENCH_ROUNDS', 5)),
  stdioRuns: envNumber('BENCH_STDIO_RUNS', 20),
  get sliceSec() { return this.duration / this.rounds; },
  only: (process.env.BENCH_ONLY ?? 'throughput,sessions,leak,stdio').split(',').map((s) => s.trim()).filter(Boolean),
};

// The access-control scenarios: the chassis server with authentication and the in-memory rate limiter on
// (a budget no run exhausts, so every request is counted and allowed). The JWT is verified once, then served
// from the verified-token cache; the API key is hashed and compared on every request.
const API_KEY = `mcpd_${randomBytes(32).toString('base64url')}`;
const JWT_AUDIENCE = 'urn:mcpd:bench';
const jwtKeys = await generateKeyPair('ES256', { extractable: true });
const JWT = await new SignJWT({ scope: 'tools' })
  .setProtectedHeader({ alg: 'ES256' }).setSubject('bench').setAudience(JWT_AUDIENCE).setIssuedAt().setExpirationTime('2h')
  .sign(jwtKeys.privateKey);
const LIMITER_ENV = { MCPD_RATE_LIMIT__ENABLED: 'true', MCPD_RATE_LIMIT__POINTS: '1000000000', MCPD_RATE_LIMIT__STORE: 'memory' };

const ALL_SERVERS = {
  bare: { label: 'bare node:http', file: `${BENCH}bare-echo-server.mjs` },
  mcpd: { label: 'mcpd', file: `${ROOT}dist/bin/echo-server.js` },
  chassis: { label: 'mcpd + chassis', file: `${ROOT}dist/bin/echo-chassis-server.js` },
  chassisApiKey: {
    label: 'chassis + API key + limiter',
    file: `${ROOT}dist/bin/echo-chassis-server.js`,
    env: {
      ...LIMITER_ENV,
      MCPD_AUTH__MODE: 'apiKey',
      MCPD_AUTH__API_KEYS: JSON.stringify([{ name: 'bench', sha256: createHash('sha256').update(API_KEY).digest('hex'), scopes: ['tools'] }]),
    },
    headers: { authorization: `Bearer ${API_KEY}` },
  },
  chassisJwt: {
    label: 'chassis + JWT + limiter',
    file: `${ROOT}dist/bin/echo-chassis-server.js`,
    env: {
      ...LIMITER_ENV,
      MCPD_AUTH__MODE: 'jwt',
      MCPD_AUTH__JWT__PUBLIC_KEYS: JSON.stringify([await exportSPKI(jwtKeys.publicKey)]),
      MCPD_AUTH__JWT__AUDIENCE: JWT_AUDIENCE,
      MCPD_AUTH__JWT__ALGORITHMS: '["ES256"]',
    },
    headers: { authorization: `Bearer ${JWT}` },
  },
  sdk: { label: 'SDK v2', file: `${BENCH}sdk-echo-server.mjs` },
};
const SERVERS = Object.fromEntries(
  Object.entries(ALL_SERVERS).filter(([key]) => !process.env.BENCH_SERVERS || process.env.BENCH_SERVERS.split(',').map((s) => s.trim()).includes(key)),
);
const STYLES = {
  stateless: '2026-07-28 stateless',
  session: `${SESSION_VERSION} session`,
};

// ---------------------------------------------------------------- child process bookkeeping
const children = new Set();

function track(child, name) {
  child.benchName = name;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll() {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { console.error(`\n${sig}: stopping children`); killAll(); process.exit(130); });
}
process.on('uncaughtException', (err) => { console.error(err); killAll(); process.exit(1); });
process.on('unhandledRejection', (err) => { console.error(err); killAll(); process.exit(1); });

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child, graceMs = 2000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Keeps the last few KB of a stream for error messages. */
function tail(stream, max = 4000) {
  const buf = { text: '' };
  stream?.setEncoding('utf8');
  stream?.on('data', (d) => { buf.text = (buf.text + d).slice(-max); });
  return buf;
}

async function spawnHttpServer(key) {
  const port = await freePort();
  const child = track(spawn(process.execPath, [ALL_SERVERS[key].file], {
    cwd: ROOT,
    env: { ...process.env, ...ALL_SERVERS[key].env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  }), key);
  const stderr = tail(child.stderr);
  const died = exited(child).then(() => { throw new Error(`${key} server exited early (${child.exitCode ?? child.signalCode}): ${stderr.text}`); });
  died.catch(() => {});
  await Promise.race([waitForPort(port), died]);
  return { child, port, url: `http://${HOST}:${port}/mcp`, stderr };
}

// ---------------------------------------------------------------- memory sampling (/proc)
function rssSampler(pid, everyMs = 200) {
  let maxRss = 0;
  let samples = 0;
  const sample = () => {
    const s = procStatus(pid);
    if (s) { maxRss = Math.max(maxRss, s.rss); samples++; }
    return s;
  };
  const start = sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const end = sample();
      return { startRss: start?.rss, endRss: end?.rss, maxSampledRss: maxRss, peakHwm: end?.hwm, samples };
    },
  };
}

// ---------------------------------------------------------------- load generation
/** An autocannon run of tools/call echo; unique JSON-RPC id per request, every body verified. */
function cannon(url, style, sessionId, durationSec, extraHeaders) {
  const { prefix, suffix } = callBodyParts(style);
  const expected = `"text":"${ECHO_TEXT}"`;
  let id = 0;
  return autocannon({
    url,
    method: 'POST',
    connections: CONFIG.connections,
    duration: durationSec,
    pipelining: 1,
    timeout: 10,
    headers: callHeaders(style, sessionId, extraHeaders),
    verifyBody: (body) => body.includes(expected) && !body.includes('"error"') && !body.includes('"isError":true'),
    requests: [{ setupRequest: (req) => { req.body = prefix + (++id) + suffix; return req; } }],
  });
}

// ---------------------------------------------------------------- formatting
const log = (...a) => console.log(...a);
const step = (msg) => process.stderr.write(`  · ${msg}\n`);

// ---------------------------------------------------------------- 1. throughput
/** One measured slice; appends per-second request counts and per-response latencies to `acc`. */
async function measureSlice(srv, style, acc) {
  const inst = cannon(srv.url, style, srv.sessionId, CONFIG.sliceSec, srv.headers);
  const ticks = [];
  inst.on('tick', (t) => ticks.push(t.counter));
  inst.on('response', (_client, _status, _bytes, ms) => acc.latencies.push(ms));
  const r = await inst;
  if (ticks.length && ticks[ticks.length - 1] === 0) ticks.pop(); // autocannon's closing tick (always 0)
  acc.perSecond.push(...ticks);
  acc.requests += r.requests.total;
  acc.seconds += r.duration;
  for (const k of ['non2xx', 'errors', 'timeouts', 'mismatches', 'resets']) acc[k] += r[k];
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) acc.statusCodes[code] = (acc.statusCodes[code] ?? 0) + Number(count);
}

async function benchThroughput(results) {
  log(`\n== 1. Throughput: tools/call echo, ${CONFIG.connections} connections; per server ${CONFIG.warmup}s warm-up, then ${CONFIG.duration}s measured ` +
    `as ${CONFIG.rounds} interleaved slices of ${CONFIG.sliceSec}s (bare/mcpd/SDK rotate, so background load hits all three alike) ==`);
  const runs = [];
  for (const style of Object.keys(STYLES)) {
    const live = [];
    try {
      for (const key of Object.keys(SERVERS)) {
        const name = `${STYLES[style]} / ${SERVERS[key].label}`;
        const entry = { style, server: key, ok: false };
        runs.push(entry);
        try {
          step(`${name}: starting`);
          const srv = await spawnHttpServer(key);
          live.push(srv);
          srv.entry = entry;
          srv.headers = SERVERS[key].headers ?? {};
          srv.sessionId = style === 'session' ? await openSession(srv.url, undefined, srv.headers) : undefined;
          await verifyEcho(srv.url, style, srv.sessionId, undefined, srv.headers); // correctness gate before any timing
          entry.idleRss = procStatus(srv.child.pid)?.rss;
          srv.sampler = rssSampler(srv.child.pid);
          srv.acc = { perSecond: [], latencies: [], requests: 0, seconds: 0, non2xx: 0, errors: 0, timeouts: 0, mismatches: 0, resets: 0, statusCodes: {} };
          step(`${name}: warm-up ${CONFIG.warmup}s`);
          const warm = await cannon(srv.url, style, srv.sessionId, CONFIG.warmup, srv.headers);
          entry.warmup = { requests: warm.requests.total, non2xx: warm.non2xx, errors: warm.errors + warm.timeouts, mismatches: warm.mismatches };
        } catch (err) {
          entry.error = String(err?.stack ?? err);
          console.error(`  ! ${name}: ${err?.message ?? err}`);
        }
      }
      const ready = live.filter((srv) => srv.acc && !srv.entry.error);
      const loads = [];
      for (let round = 0; round < CONFIG.rounds; round++) {
        step(`${STYLES[style]}: round ${round + 1}/${CONFIG.rounds}`);
        loads.push(os.loadavg()[0]);
        for (let i = 0; i < ready.length; i++) {
          const srv = ready[(i + round) % ready.length];
          if (srv.entry.error) continue;
          try {
            await measureSlice(srv, style, srv.acc);
          } catch (err) {
            srv.entry.error = String(err?.stack ?? err);
            console.error(`  ! ${STYLES[style]} / ${SERVERS[srv.entry.server].label}: ${err?.message ?? err}`);
          }
        }
      }
      for (const srv of ready) {
        const e = srv.entry;
        const a = srv.acc;
        const mem = srv.sampler.stop();
        try {
          await verifyEcho(srv.url, style, srv.sessionId, undefined, srv.headers); // still correct after the load
        } catch (err) {
          e.error ??= `post-load check failed: ${err?.message ?? err}`;
        }
        const lat = Float64Array.from(a.latencies).sort();
        const sum = lat.reduce((x, y) => x + y, 0);
        Object.assign(e, {
          reqPerSecMean: a.perSecond.reduce((x, y) => x + y, 0) / a.perSecond.length,
          reqPerSecMedian: median(a.perSecond),
          reqPerSecOverall: a.requests / a.seconds,
          perSecondSamples: a.perSecond,
          requestsTotal: a.requests,
          measuredSec: a.seconds,
          latencyMeanMs: sum / lat.length,
          latencyP50Ms: percentile(lat, 0.5),
          latencyP90Ms: percentile(lat, 0.9),
          latencyP99Ms: percentile(lat, 0.99),
          latencyMaxMs: lat[lat.length - 1],
          non2xx: a.non2xx, errors: a.errors + a.timeouts, timeouts: a.timeouts, mismatches: a.mismatches, resets: a.resets,
          statusCodes: a.statusCodes,
          peakRss: mem.peakHwm, maxSampledRss: mem.maxSampledRss, rssSamples: mem.samples,
          loadavgDuringRounds: loads,
        });
        const w = e.warmup;
        const clean = a.non2xx === 0 && a.errors === 0 && a.timeouts === 0 && a.mismatches === 0 && a.requests > 0 &&
          w.non2xx === 0 && w.errors === 0 && w.mismatches === 0;
        if (!clean) e.error ??= `non-clean run: non2xx=${a.non2xx} errors=${a.errors} timeouts=${a.timeouts} bad bodies=${a.mismatches} ` +
          `(warm-up non2xx=${w.non2xx} errors=${w.errors} bad bodies=${w.mismatches})`;
        e.ok = !e.error;
      }
    } finally {
      for (const srv of live) {
        if (srv.sampler && !srv.entry.peakRss) srv.sampler.stop();
        if (srv.entry.error && !srv.entry.ok) srv.entry.serverStderr = srv.stderr.text;
        await stopChild(srv.child);
      }
    }
  }
  results.throughput = { runs };

  const rows = runs.map((e) => [
    STYLES[e.style], SERVERS[e.server].label,
    fmt.int(e.reqPerSecMean), fmt.int(e.reqPerSecMedian), fmt.ms(e.latencyP50Ms), fmt.ms(e.latencyP99Ms),
    fmt.int(e.non2xx), fmt.int(e.errors), fmt.int(e.mismatches), fmt.mb(e.idleRss), fmt.mb(e.peakRss), e.ok ? 'ok' : 'FAIL',
  ]);
  log(table(['style', 'server', 'req/s mean', 'req/s median', 'p50 ms', 'p99 ms', 'non2xx', 'errors', 'bad body', 'idle RSS MB', 'peak RSS MB', ''], rows));
  log('(req/s mean and median are over the per-second samples; latency percentiles are exact, over every response of every slice.)');

  const ratios = [];
  for (const style of Object.keys(STYLES)) {
    const get = (k) => runs.find((e) => e.style === style && e.server === k);
    const m = get('mcpd'); const s = get('sdk'); const b = get('bare'); const c = get('chassis');
    const ratio = (a, c, f) => (a?.ok && c?.ok ? f(a) / f(c) : NaN);
    ratios.push({
      style,
      reqPerSecMedian_mcpd_over_sdk: ratio(m, s, (e) => e.reqPerSecMedian),
      reqPerSecMedian_mcpd_over_bare: ratio(m, b, (e) => e.reqPerSecMedian),
      reqPerSecMean_mcpd_over_sdk: ratio(m, s, (e) => e.reqPerSecMean),
      reqPerSecMean_mcpd_over_bare: ratio(m, b, (e) => e.reqPerSecMean),
      p50_mcpd_over_sdk: ratio(m, s, (e) => e.latencyP50Ms),
      p99_mcpd_over_sdk: ratio(m, s, (e) => e.latencyP99Ms),
      p50_mcpd_over_bare: ratio(m, b, (e) => e.latencyP50Ms),
      peakRss_mcpd_over_sdk: ratio(m, s, (e) => e.peakRss),
      reqPerSecMedian_chassis_over_mcpd: ratio(c, m, (e) => e.reqPerSecMedian),
      reqPerSecMedian_chassis_over_sdk: ratio(c, s, (e) => e.reqPerSecMedian),
      reqPerSecMedian_apiKey_over_chassis: ratio(get('chassisApiKey'), c, (e) => e.reqPerSecMedian),
      reqPerSecMedian_jwt_over_chassis: ratio(get('chassisJwt'), c, (e) => e.reqPerSecMedian),
    });
  }
  results.throughput.ratios = ratios;
  log('\nRatios (req/s: higher is better for mcpd; latency and RSS: lower is better):');
  log(table(['style', '', 'req/s median mcpd/SDK', 'req/s median mcpd/bare', 'req/s mean mcpd/SDK', 'req/s mean mcpd/bare', 'p50 mcpd/SDK', 'p99 mcpd/SDK', 'p50 mcpd/bare', 'peak RSS mcpd/SDK', 'chassis/engine', 'chassis/SDK'],
    ratios.map((r) => [STYLES[r.style], '', fmt.x(r.reqPerSecMedian_mcpd_over_sdk), fmt.pct(r.reqPerSecMedian_mcpd_over_bare),
      fmt.x(r.reqPerSecMean_mcpd_over_sdk), fmt.pct(r.reqPerSecMean_mcpd_over_bare), fmt.x(r.p50_mcpd_over_sdk), fmt.x(r.p99_mcpd_over_sdk),
      fmt.x(r.p50_mcpd_over_bare), fmt.x(r.peakRss_mcpd_over_sdk), fmt.pct(r.reqPerSecMedian_chassis_over_mcpd), fmt.x(r.reqPerSecMedian_chassis_over_sdk)])));
  log('\nAccess control (req/s median over the plain chassis; bars: API key + limiter >= 85 %, JWT + limiter >= 75 %):');
  log(table(['style', '', 'API key + limiter / chassis', 'JWT + limiter / chassis'],
    ratios.map((r) => [STYLES[r.style], '', fmt.pct(r.reqPerSecMedian_apiKey_over_chassis), fmt.pct(r.reqPerSecMedian_jwt_over_chassis)])));
}

// ---------------------------------------------------------------- 2. retained memory per session
function runNodeScript(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }), args.join(' '));
    const out = tail(child.stdout, 100_000);
    const err = tail(child.stderr);
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: node ${args.join(' ')}`)); }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code ?? signal}: ${err.text}`));
      resolve(out.text);
    });
  });
}

async function benchSessions(results) {
  log(`\n== 2. Retained memory per idle ${SESSION_VERSION} session (${CONFIG.sessions} sessions via real HTTP initialize + initialized, in-process server, --expose-gc; median of ${CONFIG.sessionRepeats} runs) ==`);
  const out = {};
  for (const target of ['mcpd', 'sdk']) {
    const runs = [];
    for (let i = 0; i < CONFIG.sessionRepeats; i++) {
      step(`session memory ${target} run ${i + 1}/${CONFIG.sessionRepeats}`);
      try {
        const text = await runNodeScript(['--expose-gc', `${BENCH}session-memory.mjs`, target, String(CONFIG.sessions)], 120_000);
        const r = JSON.parse(text.trim().split('\n').pop());
        if (r.sessionsAfter - r.sessionsBefore !== CONFIG.sessions) throw new Error(`expected ${CONFIG.sessions} new sessions, server reports ${r.sessionsAfter - r.sessionsBefore}`);
        runs.push(r);
      } catch (err) {
        runs.push({ error: String(err?.message ?? err) });
        console.error(`  ! session memory ${target}: ${err?.message ?? err}`);
      }
    }
    const good = runs.filter((r) => !r.error);
    out[target] = {
      runs,
      heapBytesPerSessionMedian: median(good.map((r) => r.bytesPerSession.heapUsed)),
      externalBytesPerSessionMedian: median(good.map((r) => r.bytesPerSession.external)),
      rssBytesPerSessionMedian: median(good.map((r) => r.bytesPerSession.rss)),
      openMsMedian: median(good.map((r) => r.openMs)),
    };
  }
  out.ratio_mcpd_over_sdk = out.mcpd.heapBytesPerSessionMedian / out.sdk.heapBytesPerSessionMedian;
  results.sessionMemory = out;
  log(table(['server', '', 'heap B/session', 'external B/session', 'RSS B/session', `ms to open ${CONFIG.sessions}`, 'runs (heap B/session)'],
    ['mcpd', 'sdk'].map((t) => [t === 'sdk' ? 'SDK v2' : 'mcpd', '', fmt.int(out[t].heapBytesPerSessionMedian), fmt.int(out[t].externalBytesPerSessionMedian),
      fmt.int(out[t].rssBytesPerSessionMedian), fmt.int(out[t].openMsMedian),
      out[t].runs.map((r) => (r.error ? 'ERR' : fmt.int(r.bytesPerSession.heapUsed))).join(' / ')])));
  log(`mcpd/SDK heap per session: ${fmt.x(out.ratio_mcpd_over_sdk)}`);
}

// ---------------------------------------------------------------- 3. leak check
function leakServer(target) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, ['--expose-gc', `${BENCH}leak-server.mjs`, target], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }), `leak-${target}`);
    const stderr = tail(child.stderr);
    const timer = setTimeout(() => reject(new Error(`leak server ${target} not ready: ${stderr.text}`)), 15_000);
    child.once('exit', (c, s) => reject(new Error(`leak server ${target} exited ${c ?? s}: ${stderr.text}`)));
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m?.type !== 'ready') return reject(new Error(`unexpected message ${JSON.stringify(m)}`));
      const heap = () => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('heap measurement timed out')), 15_000);
        child.once('message', (msg) => { clearTimeout(t); res(msg); });
        child.send({ cmd: 'heap' });
      });
      resolve({ child, url: m.url, heap, stderr });
    });
  });
}

async function benchLeak(results) {
  log(`\n== 3. Leak check: heapUsed after forced GC, before / midway / after ${CONFIG.leakDuration}s of tools/call load (${CONFIG.connections} connections, one session for 2025; ${CONFIG.warmup}s warm-up precedes the baseline) ==`);
  const cases = [['mcpd', 'session'], ['mcpd', 'stateless'], ['sdk', 'session'], ['sdk', 'stateless']];
  const runs = [];
  for (const [target, style] of cases) {
    const name = `${target} ${STYLES[style]}`;
    step(`leak ${name}`);
    const entry = { server: target, style, ok: false };
    runs.push(entry);
    let srv;
    try {
      srv = await leakServer(target);
      const sessionId = style === 'session' ? await openSession(srv.url) : undefined;
      await verifyEcho(srv.url, style, sessionId);
      const warm = await cannon(srv.url, style, sessionId, CONFIG.warmup);
      const before = await srv.heap();
      // Two halves with a forced-GC measurement in between: steady growth across both halves means a leak,
      // growth in the first half only means caches/pools filling up.
      const half = CONFIG.leakDuration / 2;
      const r1 = await cannon(srv.url, style, sessionId, half);
      const mid = await srv.heap();
      const r2 = await cannon(srv.url, style, sessionId, half);
      const after = await srv.heap();
      const r = {
        requests: { total: r1.requests.total + r2.requests.total, mean: (r1.requests.mean + r2.requests.mean) / 2 },
        non2xx: r1.non2xx + r2.non2xx, errors: r1.errors + r2.errors + r1.timeouts + r2.timeouts, mismatches: r1.mismatches + r2.mismatches,
      };
      await verifyEcho(srv.url, style, sessionId);
      const growth = after.mem.heapUsed - before.mem.heapUsed;
      Object.assign(entry, {
        requests: r.requests.total,
        warmupRequests: warm.requests.total,
        reqPerSecMean: r.requests.mean,
        non2xx: r.non2xx + warm.non2xx, errors: r.errors + warm.errors, mismatches: r.mismatches + warm.mismatches,
        heapUsedBefore: before.mem.heapUsed, heapUsedMid: mid.mem.heapUsed, heapUsedAfter: after.mem.heapUsed, heapGrowth: growth,
        heapGrowthFirstHalf: mid.mem.heapUsed - before.mem.heapUsed, heapGrowthSecondHalf: after.mem.heapUsed - mid.mem.heapUsed,
        requestsFirstHalf: r1.requests.total, requestsSecondHalf: r2.requests.total,
        externalBefore: before.mem.external, externalAfter: after.mem.external,
        rssBefore: before.mem.rss, rssAfter: after.mem.rss,
        sessionsBefore: before.sessions, sessionsAfter: after.sessions,
        growthBytesPerRequest: growth / r.requests.total,
      });
      entry.ok = entry.non2xx === 0 && entry.errors === 0 && entry.mismatches === 0 && r.requests.total > 0;
      if (!entry.ok) entry.error = `non-clean run: non2xx=${entry.non2xx} errors=${entry.errors} mismatches=${entry.mismatches}`;
    } catch (err) {
      entry.error = String(err?.stack ?? err);
      console.error(`  ! leak ${name}: ${err?.message ?? err}`);
    } finally {
      if (srv) {
        await stopChild(srv.child);
      }
    }
  }
  results.leak = { runs };
  log(table(['server', 'style', 'requests', 'heapUsed before MB', 'mid MB', 'after MB', 'growth KB', '1st half KB', '2nd half KB', 'B/request', 'RSS after MB', 'non2xx+err+bad', ''],
    runs.map((e) => [e.server === 'sdk' ? 'SDK v2' : 'mcpd', STYLES[e.style], fmt.int(e.requests), fmt.mb(e.heapUsedBefore), fmt.mb(e.heapUsedMid), fmt.mb(e.heapUsedAfter),
      fmt.kb(e.heapGrowth), fmt.kb(e.heapGrowthFirstHalf), fmt.kb(e.heapGrowthSecondHalf), Number.isFinite(e.growthBytesPerRequest) ? e.growthBytesPerRequest.toFixed(3) : 'n/a', fmt.mb(e.rssAfter),
      fmt.int((e.non2xx ?? NaN) + (e.errors ?? NaN) + (e.mismatches ?? NaN)), e.ok ? 'ok' : 'FAIL'])));
}

// ---------------------------------------------------------------- 4. stdio cold start
const INIT_LINE = JSON.stringify({
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: SESSION_VERSION, capabilities: {}, clientInfo: { name: 'mcpd-bench', version: '1.0.0' } },
}) + '\n';
const BARE_STDIO = "process.stdin.once('data',d=>{const m=JSON.parse(String(d).split('\\n')[0]);" +
  "process.stdout.write(JSON.stringify({jsonrpc:'2.0',id:m.id,result:{protocolVersion:'2025-11-25',capabilities:{tools:{}},serverInfo:{name:'bare',version:'1.0.0'}}})+'\\n')})";
const STDIO_TARGETS = {
  bare: { label: 'bare node -e', args: ['-e', BARE_STDIO], env: {} },
  mcpd: { label: 'mcpd', args: [`${ROOT}dist/bin/echo-server.js`], env: { MCPD_TRANSPORT: 'stdio' } },
  sdk: { label: 'SDK v2 (serveStdio)', args: [`${BENCH}sdk-stdio-server.mjs`], env: {} },
};

function coldStart(key) {
  const t = STDIO_TARGETS[key];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = track(spawn(process.execPath, t.args, { cwd: ROOT, env: { ...process.env, ...t.env }, stdio: ['pipe', 'pipe', 'pipe'] }), `stdio-${key}`);
    const stderr = tail(child.stderr);
    child.stdin.on('error', () => {});
    child.stdin.write(INIT_LINE);
    let buf = '';
    let done = false;
    const finish = (err, ms, line) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopChild(child, 1000).then(() => (err ? reject(err) : resolve({ ms, line })));
    };
    const timer = setTimeout(() => finish(new Error(`${key}: no response within 10 s: ${stderr.text}`)), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const line = buf.slice(0, nl);
      try {
        const msg = JSON.parse(line);
        if (msg.id !== 1 || typeof msg.result?.protocolVersion !== 'string') throw new Error(`not an initialize result: ${line.slice(0, 200)}`);
        finish(null, ms, line);
      } catch (err) {
        finish(new Error(`${key}: ${err.message}`));
      }
    });
    child.once('exit', (c, s) => finish(new Error(`${key}: exited ${c ?? s} before answering: ${stderr.text}`)));
  });
}

async function benchStdio(results) {
  log(`\n== 4. stdio cold start: spawn -> first response line to initialize (${CONFIG.stdioRuns} runs each, interleaved) ==`);
  const times = { bare: [], mcpd: [], sdk: [] };
  const failures = { bare: [], mcpd: [], sdk: [] };
  for (let i = 0; i < CONFIG.stdioRuns; i++) {
    for (const key of Object.keys(STDIO_TARGETS)) {
      try {
        times[key].push((await coldStart(key)).ms);
      } catch (err) {
        failures[key].push(String(err?.message ?? err));
        console.error(`  ! stdio ${key}: ${err?.message ?? err}`);
      }
    }
  }
  const out = {};
  for (const key of Object.keys(STDIO_TARGETS)) {
    const s = [...times[key]].sort((a, b) => a - b);
    out[key] = { label: STDIO_TARGETS[key].label, runs: s.length, failures: failures[key], medianMs: median(s), minMs: s[0], maxMs: s[s.length - 1], p90Ms: s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)], samplesMs: times[key] };
  }
  out.mcpdOverSdk = out.mcpd.medianMs / out.sdk.medianMs;
  out.mcpdMinusBareMs = out.mcpd.medianMs - out.bare.medianMs;
  out.sdkMinusBareMs = out.sdk.medianMs - out.bare.medianMs;
  results.stdio = out;
  log(table(['server', '', 'median ms', 'min ms', 'p90 ms', 'max ms', 'over bare (median) ms', 'failures'],
    Object.keys(STDIO_TARGETS).map((k) => [out[k].label, '', fmt.ms(out[k].medianMs), fmt.ms(out[k].minMs), fmt.ms(out[k].p90Ms), fmt.ms(out[k].maxMs),
      fmt.ms(out[k].medianMs - out.bare.medianMs), out[k].failures.length])));
  log(`mcpd/SDK median cold start: ${fmt.x(out.mcpdOverSdk)}`);
}

// ---------------------------------------------------------------- main
const results = {
  startedAt: new Date().toISOString(),
  config: CONFIG,
  env: {
    node: process.version, platform: `${os.platform()} ${os.release()}`, arch: os.arch(),
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemMB: Math.round(os.totalmem() / 1048576),
    loadavgAtStart: os.loadavg(),
  },
};
const t0 = Date.now();
log(`mcpd benchmark — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
log('Load generator (autocannon) runs in this process and shares the machine with the server under test.');
// 5. database tools (opt-in): bench/database.mjs, loaded only when selected (it needs PostgreSQL).
async function benchDb(results) {
  const { benchDatabase } = await import('./database.mjs');
  await benchDatabase(results, { log, step, track });
}

// 6. HTTP request tool (opt-in): bench/http.mjs.
async function benchHttpSection(results) {
  const { benchHttp } = await import('./http.mjs');
  await benchHttp(results, { log, step, track });
}

const sections = { throughput: benchThroughput, sessions: benchSessions, leak: benchLeak, stdio: benchStdio, database: benchDb, http: benchHttpSection };
const failures = [];
for (const name of CONFIG.only) {
  if (!sections[name]) throw new Error(`unknown section ${name} in BENCH_ONLY`);
  try {
    await sections[name](results);
  } catch (err) {
    failures.push(`${name}: ${err?.message ?? err}`);
    console.error(`section ${name} failed:`, err);
  }
}
const collectFailures = () => {
  for (const e of results.throughput?.runs ?? []) if (!e.ok) failures.push(`throughput ${e.style}/${e.server}: ${e.error}`);
  for (const e of results.leak?.runs ?? []) if (!e.ok) failures.push(`leak ${e.style}/${e.server}: ${e.error}`);
  for (const t of ['mcpd', 'sdk']) for (const r of results.sessionMemory?.[t]?.runs ?? []) if (r.error) failures.push(`sessions ${t}: ${r.error}`);
  for (const k of Object.keys(STDIO_TARGETS)) for (const f of results.stdio?.[k]?.failures ?? []) failures.push(`stdio ${k}: ${f}`);
  for (const e of results.database?.errors ?? []) failures.push(`database: ${e}`);
  for (const e of results.http?.errors ?? []) failures.push(`http: ${e}`);
};
collectFailures();
results.finishedAt = new Date().toISOString();
results.elapsedSec = (Date.now() - t0) / 1000;
results.failures = failures;
mkdirSync(`${ROOT}.bench`, { recursive: true });
writeFileSync(`${ROOT}.bench/results.json`, JSON.stringify(results, null, 2) + '\n');
log(`\nDone in ${results.elapsedSec.toFixed(0)} s; results written to .bench/results.json`);
if (failures.length) {
  log(`\n${failures.length} failure(s):`);
  for (const f of failures) log(`  - ${f}`);
  process.exitCode = 1;
}
killAll();
