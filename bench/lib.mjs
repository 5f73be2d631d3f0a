// Shared helpers for the benchmark scripts: wire-format builders, a tiny loopback HTTP client,
// response parsing (plain JSON or a single-event SSE body) and echo-result verification.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

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
