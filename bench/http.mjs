// HTTP request tool benchmark (the HTTP pack, issue 6): what `http_request` adds over a bare undici request to a
// local server, p50 and req/s. The bar from the issue: <= 1.25x.
//
//   BENCH_ONLY=http npm run bench     (results in .bench/results.json under `http`)
//   node bench/http.mjs               (after `npm run build`; results in .bench/http.json)
//   node --cpu-prof --cpu-prof-dir=.bench/prof bench/http.mjs --loop client small 10 [callers]
//                                     (one variant, one document, 10 s, 1 caller by default: for a CPU profile of it)
//
// The upstream: node:http on 127.0.0.1 in a child process of its own (this file with --upstream), keep-alive,
// answering GET /small with a JSON document of ~1 KB and GET /large with one of ~100 KB (application/json,
// content-length, bytes prepared at start: the upstream's cost is small and the same for every variant).
//
// For each document, by 1 and 8 closed-loop callers, in interleaved slices so background load hits all alike:
//   bare      undici request(url, { dispatcher }) through one shared Agent (keep-alive), the body read to the end
//             (arrayBuffer) — the reference of the bar
//   bareDispatcher  agent.request({ origin, path, method }), body read: the form HttpClient calls; on undici 7.30 /
//             Node 20 it costs ~20-100 µs less CPU per call than the top-level request() (a stricter reference)
//   bareJson  the same as bare with body.json(): what a caller that wants the document parsed pays anyway
//   client    the pack's HttpClient in this process (dist/), built as src/packs/http/index.ts builds it:
//             AddressPolicy(['127.0.0.1/32']), UrlPolicy, HostBreakers, the vetted agent, metrics observer;
//             no cache — one GET, default retries, timeout and html settings
//   tool      the http_request tool handler in this process: input parsing, the client, content + structuredContent
//   http      `mcpd serve` (dist/bin/mcpd.js, MCPD_ENV=production) in a child process, tools/call posted over
//             keep-alive HTTP/1.1 by a minimal client (2026-07-28 stateless request style)
//   floor     the transport floor: `mcpd serve` plus http_request_replay (bench/replay-server.mjs), answering with
//             its first call's result again — the same response bytes, no upstream request
//   sdk       (optional) the same tool — same client and handler from dist/ — on the official SDK v2
//             (bench/sdk-http-server.mjs), same request style
// p50/p90/p99 latency, calls/s, CPU per call of this process, of the server child and of the upstream, and the
// ratios over `bare`. In-process variants share this one thread with the load loop (like `bare` itself).
//
// Environment (besides BENCH_ONLY, BENCH_* of bench/run.mjs do not apply here):
//   BENCH_HTTP_DURATION     measured seconds per variant, document and concurrency (default 6)
//   BENCH_HTTP_ROUNDS       the measurement is split into this many interleaved slices (default 3)
//   BENCH_HTTP_WARMUP       warm-up seconds per variant, document and concurrency (default 1)
//   BENCH_HTTP_CONCURRENCY  comma list of concurrent callers (default 1,8)
//   BENCH_HTTP_DOCS         comma list of documents (default small,large)
//   BENCH_HTTP_VARIANTS     comma list (default bare,bareDispatcher,bareJson,client,tool,http,floor,sdk)
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Agent, request } from 'undici';
import {
  closedLoop, envList, envNumber, interleavedRounds, exited, fmt, freePort, HOST, newAcc, parseRpc, procStatus, RawHttp, resetHwm, runStandalone, stopChild, summarize, table, tail, toolCallRequest, waitForPort,
} from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const DIST = (path) => pathToFileURL(`${ROOT}dist/${path}`).href;


export const HTTP_CONFIG = {
  duration: envNumber('BENCH_HTTP_DURATION', 6),
  rounds: Math.round(envNumber('BENCH_HTTP_ROUNDS', 3)),
  warmup: envNumber('BENCH_HTTP_WARMUP', 1),
  concurrency: envList('BENCH_HTTP_CONCURRENCY', '1,8').map(Number),
  docs: envList('BENCH_HTTP_DOCS', 'small,large'),
  variants: envList('BENCH_HTTP_VARIANTS', 'bare,bareDispatcher,bareJson,client,tool,http,floor,sdk'),
};

const LABELS = {
  bare: 'bare undici request(), body read',
  bareDispatcher: 'bare undici agent.request(), body read',
  bareJson: 'bare undici request(), body.json()',
  client: 'pack HttpClient.request (in-process)',
  tool: 'http_request tool handler (in-process)',
  http: 'mcpd serve, http_request over HTTP',
  floor: 'floor: mcpd serve, the same response replayed, HTTP',
  sdk: 'SDK v2, same tool over HTTP',
};

// ---------------------------------------------------------------- the upstream and its documents
/** A catalogue page of `n` items, as an API would answer it; the same text in the upstream and here. */
function catalogue(n) {
  const items = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { id: i, sku: `SKU-${String(i).padStart(6, '0')}`, name: `Item number ${i}`, price: Math.round(i * 137) / 100, tags: ['alpha', 'beta'], inStock: i % 3 !== 0 };
  });
  return JSON.stringify({ page: 1, perPage: n, total: 10_000, items });
}

/** The smallest catalogue of at least `bytes` bytes. */
function documentOf(bytes) {
  let lo = 1;
  let hi = 1;
  while (Buffer.byteLength(catalogue(hi)) < bytes) { lo = hi + 1; hi *= 2; }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Buffer.byteLength(catalogue(mid)) < bytes) lo = mid + 1;
    else hi = mid;
  }
  return catalogue(lo);
}

export const DOCUMENTS = { small: documentOf(1024), large: documentOf(100 * 1024) };

function upstreamMain(port) {
  const bodies = Object.fromEntries(Object.entries(DOCUMENTS).map(([name, text]) => [`/${name}`, Buffer.from(text)]));
  const server = http.createServer((req, res) => {
    const body = bodies[req.url];
    if (!body) return void res.writeHead(404, { 'content-length': 0 }).end();
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(port, HOST, () => process.stderr.write(`upstream on http://${HOST}:${port}\n`));
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------- child processes
async function spawnChild(name, args, env, port, track) {
  const child = track(spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] }), `http-${name}`);
  const stderr = tail(child.stderr);
  const died = exited(child).then(() => { throw new Error(`${name} exited early (${child.exitCode ?? child.signalCode}): ${stderr.text}`); });
  died.catch(() => {});
  await Promise.race([waitForPort(port), died]);
  return { child, port, stderr, origin: `http://${HOST}:${port}` };
}

async function startUpstream(track) {
  const port = await freePort();
  return spawnChild('upstream', [fileURLToPath(import.meta.url), '--upstream', String(port)], {}, port, track);
}

async function spawnServer(kind, upstreamPort, track) {
  const port = await freePort();
  const mcpdEnv = {
    // `mcpd serve` as deployed (config/production.yaml: JSON access log at info, metrics on), loopback; the
    // upstream's address and port allowed, no database.
    MCPD_ENV: 'production',
    MCPD_HTTP__HOST: HOST,
    MCPD_HTTP__PORT: String(port),
    MCPD_HTTP_REQUESTS__ALLOW_PRIVATE_NETWORKS: '["127.0.0.1/32"]',
    MCPD_HTTP_REQUESTS__ALLOWED_PORTS: `[${upstreamPort}]`,
    MCPD_DATABASE__EMBEDDED__ENABLED: 'false',
  };
  const { args, env } = {
    http: { args: [`${ROOT}dist/bin/mcpd.js`, 'serve'], env: mcpdEnv },
    floor: { args: [`${BENCH}replay-server.mjs`], env: mcpdEnv },
    sdk: { args: [`${BENCH}sdk-http-server.mjs`], env: { PORT: String(port), BENCH_HTTP_UPSTREAM_PORT: String(upstreamPort) } },
  }[kind];
  return spawnChild(kind, args, env, port, track);
}

// ---------------------------------------------------------------- the variants
/** The pack's pieces from dist/, built as src/packs/http/index.ts builds them (no cache). */
async function packClient(upstreamPort) {
  const [{ HttpClient }, { httpMetrics }, { HostBreakers }, { httpRequestsSection }, { AddressPolicy }, { UrlPolicy }, { createVettedAgent }, { httpRequestTool }, { Registry }] =
    await Promise.all([
      import(DIST('packs/http/client.js')), import(DIST('packs/http/metrics.js')), import(DIST('packs/http/resilience/breakers.js')),
      import(DIST('packs/http/settings.js')), import(DIST('packs/http/ssrf/address-policy.js')), import(DIST('packs/http/ssrf/url-policy.js')),
      import(DIST('packs/http/ssrf/vetted-agent.js')), import(DIST('packs/http/tools.js')), import('prom-client'),
    ]);
  const settings = httpRequestsSection.parse({ allowPrivateNetworks: ['127.0.0.1/32'], allowedPorts: [upstreamPort] });
  const addresses = new AddressPolicy(settings.allowPrivateNetworks);
  const breakers = new HostBreakers(settings.breaker);
  const agent = createVettedAgent({ policy: addresses, connectTimeoutMs: settings.connectTimeoutMs });
  // The pack as `mcpd serve` wires it: metrics on (a registry of its own here).
  const client = new HttpClient(settings, { dispatcher: agent, urlPolicy: new UrlPolicy(settings, addresses), breakers, observer: httpMetrics(new Registry(), () => breakers.states()) });
  return { settings, client, agent, tool: httpRequestTool(settings, () => client) };
}

/** Throws unless a structured outcome ({ status, body: { kind, json }, bytes }) is the document, whole. */
function checkOutcome(key, outcome, doc) {
  const ok = outcome?.status === 200 && outcome.body?.kind === 'json' && outcome.bytes === Buffer.byteLength(doc) && !outcome.truncated &&
    JSON.stringify(outcome.body.json) === doc;
  if (!ok) throw new Error(`${key}: not the upstream's document: ${JSON.stringify(outcome).slice(0, 300)}`);
}

async function makeVariant(key, ctx, doc) {
  const { upstream } = ctx;
  const url = `${upstream.origin}/${doc}`;
  const expected = DOCUMENTS[doc];
  const bytes = Buffer.byteLength(expected);
  if (key === 'bare' || key === 'bareDispatcher' || key === 'bareJson') {
    const agent = new Agent();
    const path = `/${doc}`;
    const read = async ({ statusCode, body }) => {
      const data = await body.arrayBuffer();
      if (statusCode !== 200 || data.byteLength !== bytes) throw new Error(`${key}: HTTP ${statusCode}, ${data.byteLength} bytes`);
      return data;
    };
    const run = key === 'bare'
      ? async () => read(await request(url, { dispatcher: agent }))
      : key === 'bareDispatcher'
        ? async () => read(await agent.request({ origin: upstream.origin, path, method: 'GET' }))
        : async () => {
        const { statusCode, body } = await request(url, { dispatcher: agent });
        const data = await body.json();
        if (statusCode !== 200 || !data.items) throw new Error(`${key}: HTTP ${statusCode}`);
        return data;
      };
    const first = await run();
    if ((key === 'bareJson' ? JSON.stringify(first) : Buffer.from(first).toString('utf8')) !== expected) throw new Error(`${key}: not the upstream's document`);
    return { call: run, close: () => agent.close() };
  }
  if (key === 'client' || key === 'tool') {
    const { settings, client, agent, tool } = await packClient(upstream.port);
    // A cancellation of its own per call, as mcpd gives each request: the handler context's onAbort (a listener
    // list; the request's AbortSignal is created only for handlers that ask for `signal`, which this tool does not).
    const callCtx = () => {
      let listeners;
      return {
        identity: undefined,
        onAbort(listener) {
          (listeners ??= []).push(listener);
          return () => {
            const index = listeners.indexOf(listener);
            if (index !== -1) listeners.splice(index, 1);
          };
        },
      };
    };
    let run;
    if (key === 'client') {
      const call = { method: 'GET', url, timeoutMs: settings.timeoutMs, maxRetries: settings.retry.maxRetries, cacheTtlMs: 0, html: settings.html };
      run = async () => {
        const outcome = await client.request(call, callCtx());
        if (outcome.status !== 200 || outcome.bytes !== bytes) throw new Error(`client: HTTP ${outcome.status}, ${outcome.bytes} bytes`);
        return outcome;
      };
      checkOutcome(key, await run(), expected);
    } else {
      const raw = { url };
      run = async () => {
        const result = await tool.handler(tool.input.parse(raw), callCtx());
        if (result.structuredContent?.status !== 200 || result.structuredContent.bytes !== bytes) throw new Error(`tool: ${JSON.stringify(result).slice(0, 300)}`);
        return result;
      };
      const first = await run();
      checkOutcome(key, first.structuredContent, expected);
      if (first.content?.[0]?.type !== 'text' || !first.content[0].text.startsWith('HTTP 200 ')) throw new Error(`tool: unexpected content ${JSON.stringify(first.content).slice(0, 300)}`);
    }
    return { call: run, close: () => agent.close() };
  }
  if (key === 'http' || key === 'floor' || key === 'sdk') {
    // One server per variant serves both documents (spawned once, shared through ctx.servers).
    ctx.servers[key] ??= await spawnServer(key, upstream.port, ctx.track);
    const srv = ctx.servers[key];
    const tool = key === 'floor' ? 'http_request_replay' : 'http_request';
    const conns = [];
    for (let i = 0; i < Math.max(...HTTP_CONFIG.concurrency); i++) conns.push(await new RawHttp(srv.port).connect());
    const args = { url };
    let id = 0;
    const frame = () => toolCallRequest(srv.port, ++id, tool, args);
    const verify = async () => {
      const r = await conns[0].request(frame());
      const msg = parseRpc(r.body);
      if (r.status !== 200 || msg.result?.isError) throw new Error(`${key}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      checkOutcome(key, msg.result.structuredContent, expected);
      return Buffer.byteLength(r.body);
    };
    const responseBytes = await verify(); // correctness gate before any timing
    return {
      srv,
      responseBytes,
      cpuPids: { server: srv.child.pid, upstream: upstream.child.pid },
      call: async (worker) => {
        const r = await conns[worker].request(frame());
        if (r.status !== 200 || !r.body.includes('"status":200,') || r.body.includes('"isError":true')) throw new Error(`bad tools/call response: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        return r;
      },
      close: async () => { for (const c of conns) c.close(); },
    };
  }
  throw new Error(`unknown variant ${key}`);
}

// ---------------------------------------------------------------- the measurement
async function benchDoc(ctx, out, doc) {
  const { log, step } = ctx;
  const keys = HTTP_CONFIG.variants.filter((k) => LABELS[k]);
  const slice = (HTTP_CONFIG.duration / HTTP_CONFIG.rounds) * 1000;
  log(`\n-- GET /${doc}: ${fmt.int(Buffer.byteLength(DOCUMENTS[doc]))} bytes of JSON; per variant and concurrency ${HTTP_CONFIG.warmup}s warm-up, ` +
    `then ${HTTP_CONFIG.duration}s as ${HTTP_CONFIG.rounds} interleaved slices --`);
  const variants = {};
  const runs = [];
  try {
    for (const key of keys) {
      step(`${doc}: starting ${key}`);
      try {
        variants[key] = await makeVariant(key, ctx, doc);
        variants[key].cpuPids ??= { upstream: ctx.upstream.child.pid };
      } catch (err) {
        out.errors.push(`${doc} ${key}: ${err?.message ?? err}`);
        console.error(`  ! ${doc} ${key}: ${err?.message ?? err}`);
      }
    }
    const ready = keys.filter((k) => variants[k]);
    for (const callers of HTTP_CONFIG.concurrency) {
      const accs = Object.fromEntries(ready.map((k) => [k, newAcc()]));
      for (const k of ready) if (variants[k].srv) variants[k].hwmReset = resetHwm(variants[k].srv.child.pid);
      const loads = await interleavedRounds(variants, ready, {
        callers, warmupMs: HTTP_CONFIG.warmup * 1000, rounds: HTTP_CONFIG.rounds, sliceMs: slice, accs, label: `${doc}, ${callers} caller(s): `, step,
      });
      for (const k of ready) {
        const { cpuUsPerCall, ...summary } = summarize(accs[k]);
        runs.push({
          doc, variant: k, label: LABELS[k], callers, ...summary, loadavg: loads,
          // CPU per call: this process (the in-process variants' work, or the MCP client), the server child, the upstream.
          serverCpuUsPerCall: cpuUsPerCall.server, upstreamCpuUsPerCall: cpuUsPerCall.upstream,
          responseBytes: variants[k].responseBytes,
          serverPeakRss: variants[k].srv && variants[k].hwmReset ? procStatus(variants[k].srv.child.pid)?.hwm : undefined,
        });
      }
    }
  } finally {
    for (const v of Object.values(variants)) await v.close().catch(() => {});
  }
  const get = (k, c) => runs.find((r) => r.variant === k && r.callers === c);
  log(table(['callers', 'variant', 'calls/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p50 / bare', 'p99 / bare', 'calls/s / bare', 'CPU us/call here', 'server', 'upstream', 'errors'],
    runs.map((r) => {
      const b = get('bare', r.callers);
      return [String(r.callers), r.label, fmt.int(r.callsPerSec), fmt.ms(r.p50Ms), fmt.ms(r.p90Ms), fmt.ms(r.p99Ms),
        b ? fmt.x(r.p50Ms / b.p50Ms) : 'n/a', b ? fmt.x(r.p99Ms / b.p99Ms) : 'n/a', b ? fmt.pct(r.callsPerSec / b.callsPerSec) : 'n/a',
        fmt.int(r.benchCpuUsPerCall), r.serverCpuUsPerCall === undefined ? '' : fmt.int(r.serverCpuUsPerCall), fmt.int(r.upstreamCpuUsPerCall), fmt.int(r.errors)];
    })));
  const responses = Object.entries(variants).filter(([, v]) => v.responseBytes).map(([k, v]) => `${k} ${fmt.int(v.responseBytes)}`).join(', ');
  if (responses) log(`(one MCP response body, bytes: ${responses})`);
  for (const r of runs) if (r.errors) out.errors.push(`${doc} ${r.variant} x${r.callers}: ${r.errors} failed calls, last: ${r.lastError}`);
  return runs;
}

/**
 * The benchmark: `results.http` gets config, environment, runs and ratios.
 * `h.track(child, name)` registers a child process for cleanup; `h.log` prints; `h.step` shows progress.
 */
export async function benchHttp(results, h) {
  const log = h?.log ?? ((...a) => console.log(...a));
  const step = h?.step ?? ((msg) => process.stderr.write(`  · ${msg}\n`));
  const track = h?.track ?? ((child) => child);
  const out = {
    config: HTTP_CONFIG, documents: Object.fromEntries(Object.entries(DOCUMENTS).map(([k, v]) => [k, Buffer.byteLength(v)])),
    errors: [], loadavgAtStart: os.loadavg(),
  };
  results.http = out;
  log(`\n== HTTP requests: http_request vs a bare undici request to a local server (${HTTP_CONFIG.variants.join(', ')}; callers ${HTTP_CONFIG.concurrency.join(', ')}) ==`);
  step('starting the upstream');
  const ctx = { log, step, track, upstream: await startUpstream(track), servers: {} };
  const runs = [];
  try {
    for (const doc of HTTP_CONFIG.docs) {
      if (!DOCUMENTS[doc]) throw new Error(`unknown document ${doc} in BENCH_HTTP_DOCS`);
      runs.push(...await benchDoc(ctx, out, doc));
    }
  } finally {
    for (const srv of Object.values(ctx.servers)) await stopChild(srv.child);
    await stopChild(ctx.upstream.child);
  }
  out.runs = runs;
  const get = (d, k, c) => runs.find((r) => r.doc === d && r.variant === k && r.callers === c);
  out.ratios = HTTP_CONFIG.docs.flatMap((d) => HTTP_CONFIG.concurrency.map((c) => {
    const b = get(d, 'bare', c);
    const ratio = (k, f) => { const r = get(d, k, c); return r && b ? f(r) / f(b) : NaN; };
    return {
      doc: d,
      callers: c,
      ...Object.fromEntries(HTTP_CONFIG.variants.filter((k) => k !== 'bare').flatMap((k) => [
        [`p50_${k}_over_bare`, ratio(k, (r) => r.p50Ms)],
        [`p99_${k}_over_bare`, ratio(k, (r) => r.p99Ms)],
        [`callsPerSec_${k}_over_bare`, ratio(k, (r) => r.callsPerSec)],
      ])),
    };
  }));
  log('\n(CPU us/call here: this process — the in-process variants\' work, or the MCP client; server: the mcpd or SDK child process; upstream: the node:http upstream.)');
  log('Bar (p50 / bare undici <= 1.25x):');
  for (const r of out.ratios) {
    log(`  ${r.doc}, ${r.callers} caller(s): client ${fmt.x(r.p50_client_over_bare)}, tool ${fmt.x(r.p50_tool_over_bare)} (in-process); ` +
      `mcpd over HTTP ${fmt.x(r.p50_http_over_bare)} (transport floor alone ${fmt.x(r.p50_floor_over_bare)}; SDK v2 ${fmt.x(r.p50_sdk_over_bare)}); ` +
      `calls/s: client ${fmt.pct(r.callsPerSec_client_over_bare)}, tool ${fmt.pct(r.callsPerSec_tool_over_bare)}, HTTP ${fmt.pct(r.callsPerSec_http_over_bare)} of bare`);
  }
  out.loadavgAtEnd = os.loadavg();
  log(`Load average (1 min) at the start of each round: ${[...new Set(runs.map((r) => r.loadavg.map((l) => l.toFixed(2)).join(' ')))].join(' | ')}`);
  if (out.errors.length) { log('\nHTTP section errors:'); for (const e of out.errors) log(`  - ${e}`); }
  return out;
}

/** `--loop <variant> <doc> <seconds> [callers]`: one variant, nothing else (for `node --cpu-prof`). */
async function loopMain(key, doc, seconds, callers) {
  const children = new Set();
  const track = (child) => { children.add(child); child.once('exit', () => children.delete(child)); return child; };
  const ctx = { track, upstream: await startUpstream(track), servers: {} };
  try {
    const variant = await makeVariant(key, ctx, doc);
    const acc = newAcc();
    await closedLoop(variant, callers, seconds * 1000, acc);
    const s = summarize(acc);
    console.log(`${key} /${doc}: ${fmt.int(s.calls)} calls, p50 ${fmt.ms(s.p50Ms)} ms, p99 ${fmt.ms(s.p99Ms)} ms, ${fmt.int(s.benchCpuUsPerCall)} us CPU/call here, errors ${s.errors}`);
    await variant.close();
  } finally {
    for (const srv of Object.values(ctx.servers)) await stopChild(srv.child);
    await stopChild(ctx.upstream.child);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === '--upstream') {
    upstreamMain(Number(process.argv[3]));
  } else if (process.argv[2] === '--loop') {
    await loopMain(process.argv[3] ?? 'client', process.argv[4] ?? 'small', Number(process.argv[5] ?? 10), Number(process.argv[6] ?? 1));
  } else {
    await runStandalone('http', (results, track) => benchHttp(results, { track }));
  }
}
