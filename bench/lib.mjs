// Shared helpers for the benchmark scripts: wire-format builders, tiny loopback HTTP clients (node:http, and a
// raw keep-alive one for closed-loop load), response parsing (plain JSON or a single-event SSE body), echo-result
// verification, closed-loop callers with CPU accounting from /proc, child-process helpers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';

export const HOST = '127.0.0.1';
export const STATELESS_VERSION = '2026-07-28';
export const SESSION_VERSION = '2025-11-25';
export const ECHO_TEXT = 'hello from the mcpd benchmark';

export const BASE_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

export const META_2026 = {
  'io.modelcontextprotocol/protocolVersion': STATELESS_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'mcpd-bench', version: '1.0.0' },
};

/** tools/call body; the id is spliced in so every request can carry a unique one cheaply. */
export function callBodyParts(style, text = ECHO_TEXT) {
  const params = { name: 'echo', arguments: { text } };
  if (style === 'stateless') params._meta = META_2026;
  const full = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'tools/call', params });
  const marker = '"id":0,';
  const at = full.indexOf(marker);
  return { prefix: full.slice(0, at) + '"id":', suffix: ',' + full.slice(at + marker.length) };
}

export function callBody(style, id, text = ECHO_TEXT) {
  const { prefix, suffix } = callBodyParts(style, text);
  return prefix + id + suffix;
}

/** `extra`: headers every request carries (the credential of the auth scenarios). */
export function callHeaders(style, sessionId, extra = {}) {
  if (style === 'stateless') {
    return { ...BASE_HEADERS, 'mcp-protocol-version': STATELESS_VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'echo', ...extra };
  }
  return { ...BASE_HEADERS, 'mcp-protocol-version': SESSION_VERSION, 'mcp-session-id': sessionId, ...extra };
}

export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: SESSION_VERSION, capabilities: {}, clientInfo: { name: 'mcpd-bench', version: '1.0.0' } },
});
export const INITIALIZED_BODY = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

/** POSTs a body; resolves { status, headers, text }. */
export function post(url, headers, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout POST ${url}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses a JSON-RPC message out of a JSON body or an SSE body (first `data:` event carrying a response). */
export function parseRpc(text) {
  const t = text.trim();
  if (t.startsWith('{')) return JSON.parse(t);
  for (const line of t.split(/\r?\n/)) {
    if (line.startsWith('data:')) {
      const data = line.slice(5).trim();
      if (!data) continue;
      const msg = JSON.parse(data);
      if ('result' in msg || 'error' in msg) return msg;
    }
  }
  throw new Error(`no JSON-RPC response in body: ${text.slice(0, 200)}`);
}

/** Opens a 2025-11-25 session (initialize + notifications/initialized); returns the session id. */
export async function openSession(url, agent, extra = {}) {
  const init = await post(url, { ...BASE_HEADERS, ...extra }, INITIALIZE_BODY, agent);
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${init.text.slice(0, 200)}`);
  const sid = init.headers['mcp-session-id'];
  if (!sid) throw new Error('initialize: no Mcp-Session-Id header');
  const msg = parseRpc(init.text);
  if (msg.result?.protocolVersion !== SESSION_VERSION) throw new Error(`initialize: unexpected result ${init.text.slice(0, 200)}`);
  const ack = await post(url, { ...BASE_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': SESSION_VERSION, ...extra }, INITIALIZED_BODY, agent);
  if (ack.status !== 202 && ack.status !== 200 && ack.status !== 204) throw new Error(`initialized: HTTP ${ack.status} ${ack.text.slice(0, 200)}`);
  return sid;
}

/** Sends one tools/call and throws unless it is a correct echo result. */
export async function verifyEcho(url, style, sessionId, agent, extra = {}) {
  const text = `${ECHO_TEXT} #${Math.random().toString(36).slice(2)}`;
  const id = 4242;
  const r = await post(url, callHeaders(style, sessionId, extra), callBody(style, id, text), agent);
  if (r.status !== 200) throw new Error(`tools/call: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  const msg = parseRpc(r.text);
  const ok = msg.jsonrpc === '2.0' && msg.id === id && !msg.error && msg.result?.isError !== true &&
    Array.isArray(msg.result?.content) && msg.result.content.length === 1 &&
    msg.result.content[0].type === 'text' && msg.result.content[0].text === text;
  if (!ok) throw new Error(`tools/call: not a correct echo result: ${r.text.slice(0, 300)}`);
  return msg;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export async function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const sock = net.connect(port, HOST);
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function fullGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 50));
  globalThis.gc();
  return process.memoryUsage();
}

// ---------------------------------------------------------------- statistics, formatting, /proc memory
/** Exact percentile of a sorted array (nearest rank). */
export const percentile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN);

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'),
  ms: (n) => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 2 : 1)}` : 'n/a'),
  mb: (b) => (Number.isFinite(b) ? `${(b / 1048576).toFixed(1)}` : 'n/a'),
  kb: (b) => (Number.isFinite(b) ? `${(b / 1024).toFixed(2)}` : 'n/a'),
  x: (n) => (Number.isFinite(n) ? `${n.toFixed(2)}x` : 'n/a'),
  pct: (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : 'n/a'),
};

/** A text table; the first two columns are left-aligned, the rest right-aligned. */
export function table(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** Resident set size now and its high-water mark, in bytes, from /proc/<pid>/status (Linux). */
export function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux; USER_HZ 100). */
export function procCpuSec(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return NaN;
  }
}

/** Resets the kernel's RSS high-water mark of a process (VmHWM); false where that is not permitted. */
export function resetHwm(pid) {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

// ---------------------------------------------------------------- child processes
export function exited(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Keeps the last `max` characters of a stream (for error messages). */
export function tail(stream, max = 4000) {
  const buf = { text: '' };
  stream?.setEncoding('utf8');
  stream?.on('data', (d) => { buf.text = (buf.text + d).slice(-max); });
  return buf;
}

// ---------------------------------------------------------------- a benchmark section run as its own script
const BENCH_DIR = new URL('../.bench/', import.meta.url);

/**
 * Runs `run(results, track)` as a standalone script: children registered with `track(child)` are killed on
 * exit or signal; what `run` returns (unless undefined: nothing to keep) is followed by writing `results` to
 * .bench/<name>.json, and its `errors`, if any, fail the process.
 */
export async function runStandalone(name, run) {
  const children = new Set();
  const killAll = () => { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });
  const track = (child) => { children.add(child); child.once('exit', () => children.delete(child)); return child; };
  const results = {
    startedAt: new Date().toISOString(),
    env: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavgAtStart: os.loadavg() },
  };
  try {
    const out = await run(results, track);
    if (out === undefined) return;
    results.finishedAt = new Date().toISOString();
    mkdirSync(BENCH_DIR, { recursive: true });
    writeFileSync(new URL(`${name}.json`, BENCH_DIR), JSON.stringify(results, null, 2) + '\n');
    console.log(`\nResults written to .bench/${name}.json`);
    if (out.errors?.length) process.exitCode = 1;
  } finally {
    killAll();
  }
}

// ---------------------------------------------------------------- BENCH_* knobs from the environment
/** A positive number from the environment, or `def` when unset or empty. */
export function envNumber(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
}

/** A comma list from the environment, or the comma list `def`. */
export const envList = (name, def) => (process.env[name] ?? def).split(',').map((s) => s.trim()).filter(Boolean);

// ---------------------------------------------------------------- a minimal keep-alive HTTP/1.1 client
/**
 * One connection, one request at a time; content-length or chunked responses. The body comes as a string,
 * or with `{ bytes: true }` as the Buffer received (a multi-megabyte body is then never decoded by the client).
 */
export class RawHttp {
  constructor(port, { bytes = false } = {}) {
    this.port = port;
    this.bytes = bytes;
    this.buf = Buffer.alloc(0);
    this.pending = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const sock = net.connect(this.port, HOST, () => { sock.setNoDelay(true); resolve(this); });
      this.sock = sock;
      this.buf = Buffer.alloc(0);
      sock.on('error', (err) => { if (this.sock === sock) reject(err); });
      sock.on('data', (d) => this.onData(d));
      // The server may close an idle keep-alive connection (mcpd: after http.headersTimeoutMs); the next
      // request reconnects. A close while a request is pending fails that request.
      sock.on('close', () => {
        if (this.sock !== sock) return;
        this.sock = undefined;
        const p = this.pending;
        this.pending = null;
        p?.reject(new Error('connection closed'));
      });
    });
  }

  onData(d) {
    const p = this.pending;
    // The rest of a content-length body: collected, concatenated once (a 300 KB response arrives in many chunks).
    if (p?.parts) {
      p.parts.push(d);
      p.have += d.length;
      if (p.have < p.length) return;
      const all = Buffer.concat(p.parts, p.have);
      this.buf = all.subarray(p.length);
      return this.finish(all.subarray(0, p.length));
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.parse();
  }

  parse() {
    const p = this.pending;
    if (!p) return;
    if (p.bodyStart === undefined) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      p.status = Number(head.slice(9, 12));
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      p.length = cl ? Number(cl[1]) : undefined;
      p.chunked = !cl && /\r\ntransfer-encoding:\s*chunked/i.test(head);
      p.bodyStart = end + 4;
    }
    if (p.length !== undefined) {
      if (this.buf.length < p.bodyStart + p.length) {
        p.parts = [this.buf.subarray(p.bodyStart)];
        p.have = p.parts[0].length;
        this.buf = Buffer.alloc(0);
        return;
      }
      const body = this.buf.subarray(p.bodyStart, p.bodyStart + p.length);
      this.buf = this.buf.subarray(p.bodyStart + p.length);
      return this.finish(body);
    }
    if (p.chunked) {
      // Decode chunks in place once the terminating zero-size chunk is in.
      let at = p.bodyStart;
      const parts = [];
      for (;;) {
        const eol = this.buf.indexOf('\r\n', at);
        if (eol < 0) return;
        const size = parseInt(this.buf.toString('latin1', at, eol), 16);
        if (this.buf.length < eol + 2 + size + 2) return;
        if (size === 0) {
          this.buf = this.buf.subarray(eol + 4);
          return this.finish(Buffer.concat(parts));
        }
        parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    throw new Error('response without content-length or chunked encoding');
  }

  finish(body) {
    const p = this.pending;
    this.pending = null;
    p.resolve({ status: p.status, body: this.bytes ? body : body.toString('utf8') });
  }

  async request(bytes) {
    if (!this.sock || this.sock.destroyed) await this.connect();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.sock.write(bytes);
    });
  }

  close() { this.sock?.destroy(); }
}

/** The bytes of one tools/call POST to /mcp, 2026-07-28 stateless style (what test/helpers/server.ts statelessPost sends). */
export function toolCallRequest(port, id, tool, args) {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args, _meta: META_2026 } });
  return Buffer.from(
    `POST /mcp HTTP/1.1\r\nhost: ${HOST}:${port}\r\ncontent-type: application/json\r\naccept: application/json, text/event-stream\r\n` +
    `mcp-protocol-version: ${STATELESS_VERSION}\r\nmcp-method: tools/call\r\nmcp-name: ${tool}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

// ---------------------------------------------------------------- load: closed-loop callers
/** A fresh accumulator for closedLoop. */
export const newAcc = () => ({ latencies: [], calls: 0, seconds: 0, errors: 0, lastError: undefined, benchCpuSec: 0, cpuSec: {} });

/**
 * Every variant warmed up (`warmupMs`, results dropped), then `rounds` rounds in which each runs one `sliceMs`
 * slice into `accs[k]`, in an order rotated by the round so background load hits all alike. `onRound()` runs at
 * the start of each round, `onSlice(k, latenciesBefore)` after each slice. Returns the 1-minute load average at
 * the start of each round.
 */
export async function interleavedRounds(variants, keys, { callers, warmupMs, rounds, sliceMs, accs, label, step, onRound = () => {}, onSlice = () => {} }) {
  for (const k of keys) {
    step(`${label}warm-up ${k}`);
    await closedLoop(variants[k], callers, warmupMs, newAcc());
  }
  const loads = [];
  for (let round = 0; round < rounds; round++) {
    step(`${label}round ${round + 1}/${rounds}`);
    loads.push(os.loadavg()[0]);
    onRound();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(i + round) % keys.length];
      const before = accs[k].latencies.length;
      await closedLoop(variants[k], callers, sliceMs, accs[k]);
      onSlice(k, before);
    }
  }
  return loads;
}

/**
 * `callers` loops, each calling `variant.call(worker)` as soon as its previous call returned, for `ms`.
 * With `acc`, failed calls are counted (otherwise the first one throws), latencies appended, and the CPU time
 * of this process and of every process in `variant.cpuPids` ({ name: pid }) added up.
 */
export async function closedLoop(variant, callers, ms, acc) {
  const deadline = performance.now() + ms;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const pids = Object.entries(variant.cpuPids ?? {});
  const before = pids.map(([, pid]) => procCpuSec(pid));
  let calls = 0;
  await Promise.all(Array.from({ length: callers }, async (_, worker) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await variant.call(worker);
      } catch (err) {
        if (acc) { acc.errors++; acc.lastError = String(err?.message ?? err); continue; }
        throw err;
      }
      if (acc) acc.latencies.push(performance.now() - t0);
      calls++;
    }
  }));
  if (acc) {
    acc.calls += calls;
    acc.seconds += (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    acc.benchCpuSec += (cpu.user + cpu.system) / 1e6;
    pids.forEach(([name, pid], i) => { acc.cpuSec[name] = (acc.cpuSec[name] ?? 0) + procCpuSec(pid) - before[i]; });
  }
  return calls;
}

/** Latency and CPU figures of an accumulator: calls/s, percentiles, CPU µs per call here and per named process. */
export function summarize(acc) {
  const lat = Float64Array.from(acc.latencies).sort();
  return {
    calls: acc.calls, seconds: acc.seconds, callsPerSec: acc.calls / acc.seconds,
    p50Ms: percentile(lat, 0.5), p90Ms: percentile(lat, 0.9), p99Ms: percentile(lat, 0.99), maxMs: lat[lat.length - 1],
    meanMs: lat.reduce((x, y) => x + y, 0) / lat.length, errors: acc.errors, lastError: acc.lastError,
    benchCpuUsPerCall: (acc.benchCpuSec / acc.calls) * 1e6,
    cpuUsPerCall: Object.fromEntries(Object.entries(acc.cpuSec).map(([name, sec]) => [name, (sec / acc.calls) * 1e6])),
  };
}
