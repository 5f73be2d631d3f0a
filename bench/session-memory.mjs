// Retained heap per idle 2025-11-25 session. Run: node --expose-gc bench/session-memory.mjs <mcpd|sdk> [sessions]
// Builds the echo server in-process, forces GC, measures; opens N sessions over real loopback HTTP
// (initialize + notifications/initialized), drops the client sockets, forces GC, measures again.
// Prints one JSON line on stdout.
import http from 'node:http';
import { fullGc, openSession, verifyEcho } from './lib.mjs';
import { startInProcess } from './inproc.mjs';

const target = process.argv[2];
const N = Number(process.argv[3] ?? 1000);
const WARMUP = 25;
const CONCURRENCY = 8;

const hardStop = setTimeout(() => { console.error('session-memory: timed out'); process.exit(2); }, 120_000);
hardStop.unref();

async function openMany(url, count, agent) {
  const ids = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) { next++; ids.push(await openSession(url, agent)); }
  }));
  return ids;
}

async function dropClient(agent) {
  agent.destroy();
  await new Promise((r) => setTimeout(r, 200)); // let the server see the sockets close
}

const server = await startInProcess(target);
try {
  // Warm up: JIT, lazily created structures, module-level caches, one of each request kind.
  let agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const warm = await openMany(server.url, WARMUP, agent);
  await verifyEcho(server.url, 'session', warm[0], agent);
  await dropClient(agent);
  const before = await fullGc();
  const sessionsBefore = server.sessionCount();

  agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const t0 = performance.now();
  const ids = await openMany(server.url, N, agent);
  const openMs = performance.now() - t0;
  await dropClient(agent);
  const after = await fullGc();
  const sessionsAfter = server.sessionCount();

  // Sanity: the sessions are alive and usable (after measuring).
  agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  await verifyEcho(server.url, 'session', ids[0], agent);
  await verifyEcho(server.url, 'session', ids[ids.length - 1], agent);
  agent.destroy();

  const d = (k) => after[k] - before[k];
  process.stdout.write(JSON.stringify({
    target, sessions: N, sessionsBefore, sessionsAfter, openMs: Math.round(openMs),
    heapUsedBefore: before.heapUsed, heapUsedAfter: after.heapUsed,
    bytesPerSession: { heapUsed: d('heapUsed') / N, external: d('external') / N, rss: d('rss') / N },
  }) + '\n');
} finally {
  await server.close();
}
process.exit(0);
