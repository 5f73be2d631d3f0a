// Filesystem tools benchmark (the filesystem pack, issue 7): reading a 1 MB file and searching 10,000 files by
// content, against fs.promises.readFile and grep -r in the same run.
//
//   node bench/filesystem.mjs              (after `npm run build`; results in .bench/filesystem.json)
//   node bench/filesystem.mjs --profile    (CPU profiles of fs_search, fs_read and Sandbox.openRead in-process, and of
//                                           `mcpd serve` answering them over HTTP: top functions printed,
//                                           .bench/filesystem-<name>.cpuprofile written)
//
// A temporary tree is made under os.tmpdir() and removed at the end (it is served as the one root):
//   big.txt   1 MiB of ASCII text lines
//   tree/     10,000 text files of 1-4 KiB in 1,110 directories (tree/aNN/bNN/cNN/fNN.txt, 10 files a directory);
//             1% of them (100) carry the needle, 25 of those twice (125 lines); 10 others carry it upper-cased
//             (135 lines in 110 files when the search ignores case)
// All of it is in the page cache when measured (just written, then warmed): this measures CPU and syscalls,
// not the disk.
//
// 1. Read 1 MiB: closed-loop callers (1 and 8), interleaved slices so background load hits all alike:
//      readFile      fs.promises.readFile(path) — the bytes (the baseline of the ratios)
//      readFileUtf8  fs.promises.readFile(path, 'utf8') — the bytes decoded to a string (reference)
//      openRead      the pack's Sandbox.openRead (verified open: O_PATH, /proc/self/fd readlink, re-open) and
//                    the whole handle read into one buffer, as fs_read does
//      tool          the fs_read tool handler in this process (maxReadBytes 2 MiB: the whole file), input parsed
//      http          `mcpd serve` (dist/bin/mcpd.js, production settings: JSON logs at info, audit on) in a child
//                    process, tools/call fs_read posted over keep-alive HTTP/1.1 (2026-07-28 stateless style);
//                    the response (the text twice: content and structuredContent, ~2 MiB) is received whole,
//                    its length and head checked, not parsed (it is parsed and compared once before timing)
//    p50/p99, calls/s, CPU per call (this process; the server child), ratios over readFile. The in-process
//    variants share this one thread with the load loop: at 8 callers they measure CPU per call more than latency.
// 2. Content search for the needle under tree/: wall time of one whole search, runs interleaved, the median:
//      grepL    grep -r -l NEEDLE tree (spawned; files only)
//      grepN    grep -rn NEEDLE tree (spawned; file, line and text: the output fs_search gives)
//      grepNi   grep -rni NEEDLE tree (case-insensitive, fs_search's default)
//      nodeSeq  plain Node: readdir recursive, readFile one file at a time, includes, lines of the files that match
//      nodePar  the same, 16 files in flight
//      walk     layer: fs_search's walk alone — Sandbox.scanFiles over tree/ listing files (read: false), on a
//               scanner thread
//      scan     layer: Sandbox.scanFiles reading every file as fs_search does (opened through the verified directory,
//               fstat, readlink, read), no matching
//      treeWalk layer: Sandbox.walk (fs_tree's walk: an lstat per entry, for sizes and times; no file opened)
//      match    layer: fs_search's matching loop alone (binary check, decode, a whole-text substring test, split and
//               a test per line only where it matched), files in memory
//      tool     the fs_search tool handler in this process: {path: 'tree', content: NEEDLE, caseSensitive: true}
//      toolI    the same with fs_search's default caseSensitive: false (compare with grepNi)
//      http     fs_search through `mcpd serve` over HTTP, case-sensitive
//      sketchPar, sketchSync, sketchSyncOpath   plain Node, not the pack's code (see sketchSearch): the scanner's
//               evidence per file (open through the verified directory's descriptor, fstat, readlink, read, close)
//               16 files in flight on the threadpool (the asynchronous design fs_search does not use), or
//               synchronous calls on the main thread (its floor, with no thread hand-off — and the event loop
//               blocked throughout), or the same with O_PATH first and a re-open (7 calls a file: what O_RDONLY
//               directly saves)
//    Besides wall time: the longest event-loop delay during a run (monitorEventLoopDelay, 1 ms resolution; the
//    median over runs) — what other requests on the same server would wait.
//    Every run's matches (file:line, or files for grep -l) are checked against the expected set and each other,
//    and files visited are counted (grep: `grep -rc` lists every file it read, once): any disagreement fails
//    the run. Ratios over grep -rn (the same output) and grep -r -l. The cost of one threadpool trip is probed
//    between rounds (sketchPar pays one a call): on a small VM it varies with scheduling —
//    about twice as high on an idle 2-vCPU machine as with the process pinned to one CPU (`taskset -c 0 node
//    bench/filesystem.mjs`), where hand-offs need no cross-CPU wake-up.
//
// Environment:
//   BENCH_FS_FILES          files in tree/ (default 10000; a multiple of 1000)
//   BENCH_FS_DURATION       measured seconds per read variant and concurrency (default 6)
//   BENCH_FS_ROUNDS         the read measurement is split into this many interleaved slices (default 3)
//   BENCH_FS_WARMUP         warm-up seconds per read variant and concurrency (default 1)
//   BENCH_FS_CONCURRENCY    comma list of concurrent readers (default 1,8)
//   BENCH_FS_READ_VARIANTS  comma list (default readFile,readFileUtf8,openRead,tool,http)
//   BENCH_FS_SEARCH_RUNS    measured runs of each search variant (default 5, after one warm-up run)
//   BENCH_FS_SEARCH_VARIANTS  comma list (default grepL,grepN,grepNi,nodeSeq,nodePar,walk,scan,treeWalk,match,tool,toolI,http,
//                           sketchPar,sketchSync,sketchSyncOpath)
//   BENCH_FS_PROFILE_RUNS   searches profiled by --profile (default 3; fs_read and openRead: 200 calls each)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  close as fsClose, closeSync, constants as fsConstants, fstat as fsFstat, fstatSync, mkdirSync, mkdtempSync, open as fsOpen, openSync, read as fsRead,
  readdir as fsReaddir, readdirSync, readFileSync, readlink as fsReadlink, readlinkSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  envList, envNumber, interleavedRounds, fmt, HOST, median, newAcc, procCpuSec, RawHttp, runStandalone, stopChild, summarize, table, tail, toolCallRequest,
} from './lib.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = (path) => pathToFileURL(`${ROOT}dist/${path}`).href;


export const FS_CONFIG = {
  files: Math.round(envNumber('BENCH_FS_FILES', 10_000)),
  bigBytes: 1024 * 1024,
  duration: envNumber('BENCH_FS_DURATION', 6),
  rounds: Math.round(envNumber('BENCH_FS_ROUNDS', 3)),
  warmup: envNumber('BENCH_FS_WARMUP', 1),
  concurrency: envList('BENCH_FS_CONCURRENCY', '1,8').map(Number),
  readVariants: envList('BENCH_FS_READ_VARIANTS', 'readFile,readFileUtf8,openRead,tool,http'),
  searchRuns: Math.round(envNumber('BENCH_FS_SEARCH_RUNS', 5)),
  searchVariants: envList('BENCH_FS_SEARCH_VARIANTS', 'grepL,grepN,grepNi,nodeSeq,nodePar,walk,scan,treeWalk,match,tool,toolI,http,sketchPar,sketchSync,sketchSyncOpath'),
  profileRuns: Math.round(envNumber('BENCH_FS_PROFILE_RUNS', 3)),
  maxReadBytes: 2 * 1024 * 1024,
  maxResults: 10_000,
};
if (FS_CONFIG.files % 1000 !== 0) throw new Error('BENCH_FS_FILES must be a multiple of 1000');

const NEEDLE = 'xq_needle_7f3a';
const BIG = 'big.txt';
const TREE = 'tree';

const READ_LABELS = {
  readFile: 'fs.promises.readFile (bytes)',
  readFileUtf8: 'fs.promises.readFile, utf8 string',
  openRead: 'Sandbox.openRead + read whole handle',
  tool: 'fs_read tool handler (in-process)',
  http: 'mcpd serve, fs_read over HTTP',
};
const SEARCH_LABELS = {
  grepL: 'grep -r -l (files only)',
  grepN: 'grep -rn (file:line:text)',
  grepNi: 'grep -rni (ignore case)',
  nodeSeq: 'plain Node, 1 file at a time',
  nodePar: 'plain Node, 16 files in flight',
  walk: 'layer: scanner walk only (list files)',
  scan: 'layer: scanner walk + verified reads',
  treeWalk: 'layer: Sandbox.walk (lstat/entry)',
  match: 'layer: matching only, in memory',
  sketchPar: 'sketch: 5 calls/file, 16 in flight',
  sketchSync: 'sketch: 5 calls/file, sync, main',
  sketchSyncOpath: 'sketch: O_PATH first, 7 calls/file',
  tool: 'fs_search tool (in-process)',
  toolI: 'fs_search tool, ignore case (default)',
  http: 'mcpd serve, fs_search over HTTP',
};

// ---------------------------------------------------------------- the tree
/** mulberry32: the same tree on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in is that for it as with was on be by this are from or at an which have not but had were they their one all ' +
  'function return value const import export module server client request response handler config option default error result ' +
  'file path directory root sandbox search read write list tree line text byte buffer stream socket session tool resource ' +
  'prompt schema input output cache timeout retry limit count index offset length start end first last next previous state ' +
  'event signal abort close open create update delete query table column row record field type name label description').split(' ');

function textLine(rand) {
  const target = 30 + Math.floor(rand() * 70);
  let line = '';
  while (line.length < target) line += (line ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)];
  return line;
}

/** Lines of text of about `bytes` bytes; `inserts` puts a token in the middle of the given line numbers (0-based). */
function textFile(rand, bytes, inserts = new Map()) {
  const lines = [];
  let size = 0;
  const last = Math.max(-1, ...inserts.keys());
  while (size < bytes || lines.length <= last) {
    let line = textLine(rand);
    const token = inserts.get(lines.length);
    if (token) {
      const cut = line.indexOf(' ', line.length >> 1);
      line = cut < 0 ? `${line} ${token}` : `${line.slice(0, cut)} ${token}${line.slice(cut)}`;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

/**
 * Writes the tree; returns what a correct search finds: `lines` (file:line, case-sensitive), `linesI`
 * (ignoring case), and the files of each, paths relative to the root as the tools display them.
 */
function makeTree(dir, files) {
  const rand = prng(7);
  // big.txt: exactly 1 MiB of lines.
  let big = '';
  while (big.length < FS_CONFIG.bigBytes) big += textLine(rand) + '\n';
  big = big.slice(0, FS_CONFIG.bigBytes - 1) + '\n';
  writeFileSync(join(dir, BIG), big);
  const expected = { lines: [], linesI: [], bytes: 0, dirs: 0, files };
  const dirs = new Set();
  const perTop = files / 10;
  for (let i = 0; i < files; i++) {
    const a = Math.floor(i / perTop);
    const b = Math.floor((i % perTop) / (perTop / 10));
    const c = Math.floor((i % (perTop / 10)) / (perTop / 100));
    const rel = `${TREE}/a${String(a).padStart(2, '0')}/b${String(b).padStart(2, '0')}/c${String(c).padStart(2, '0')}`;
    if (!dirs.has(rel)) {
      mkdirSync(join(dir, rel), { recursive: true });
      for (let at = rel.indexOf('/', TREE.length + 1); at > 0; at = rel.indexOf('/', at + 1)) dirs.add(rel.slice(0, at));
      dirs.add(rel);
    }
    const file = `${rel}/f${String(i % (perTop / 100)).padStart(2, '0')}.txt`;
    const bytes = 1024 + Math.floor(rand() * 3072);
    const approxLines = Math.max(2, Math.floor(bytes / 66));
    const inserts = new Map();
    if (i % 100 === 42) {
      // 1% of the files carry the needle; a quarter of those twice.
      const first = Math.floor(rand() * (approxLines - 1));
      inserts.set(first, NEEDLE);
      if ((i / 100) % 4 < 1) inserts.set(first + 1 + Math.floor(rand() * (approxLines - first - 1)), NEEDLE);
    } else if (i % 1000 === 500) {
      inserts.set(Math.floor(rand() * approxLines), NEEDLE.toUpperCase());
    }
    const text = textFile(rand, bytes, inserts);
    writeFileSync(join(dir, file), text);
    expected.bytes += text.length;
    text.split('\n').forEach((line, n) => {
      if (line.includes(NEEDLE)) expected.lines.push(`${file}:${n + 1}`);
      if (line.toLowerCase().includes(NEEDLE)) expected.linesI.push(`${file}:${n + 1}`);
    });
  }
  expected.dirs = dirs.size;
  expected.lines.sort();
  expected.linesI.sort();
  return expected;
}

const filesOf = (lines) => [...new Set(lines.map((l) => l.slice(0, l.lastIndexOf(':'))))].sort();

// ---------------------------------------------------------------- CPU of the whole machine (how noisy it is)
/** Busy and total jiffies of all CPUs, from /proc/stat. */
function machineJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((x, y) => x + y, 0);
  return { busy: total - idle, total };
}

/** CPU seconds this process and its reaped children (grep, servers) have used, from /proc/self/stat. */
function ownCpuSec() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** Meters the machine: what everything else on it used, in cores, while this runs. Live children are added by `extra`. */
function noiseMeter() {
  const j0 = machineJiffies();
  const own0 = ownCpuSec();
  const t0 = performance.now();
  const loads = [os.loadavg()[0]];
  return {
    sample() { loads.push(os.loadavg()[0]); },
    stop(liveChildrenCpuSec = 0) {
      const j = machineJiffies();
      const seconds = (performance.now() - t0) / 1000;
      const cores = os.cpus().length;
      const busyCores = ((j.busy - j0.busy) / (j.total - j0.total)) * cores;
      const ownCores = (ownCpuSec() - own0 + liveChildrenCpuSec) / seconds;
      return { seconds, cores, busyCores, ownCores, otherCores: Math.max(0, busyCores - ownCores), loadavg: loads };
    },
  };
}

// ---------------------------------------------------------------- mcpd serve and a lean client for large bodies
async function spawnMcpd(dir, track, nodeArgs = []) {
  const env = {
    ...process.env,
    // `mcpd serve` as deployed (config/production.yaml: JSON access log at info), loopback, a free port.
    MCPD_ENV: 'production',
    MCPD_HTTP__HOST: HOST,
    MCPD_HTTP__PORT: '0',
    MCPD_FILESYSTEM__ROOTS: JSON.stringify([dir]),
    MCPD_FILESYSTEM__MAX_READ_BYTES: String(FS_CONFIG.maxReadBytes),
    MCPD_FILESYSTEM__SEARCH__MAX_RESULTS: String(FS_CONFIG.maxResults),
    MCPD_DATABASE__EMBEDDED__ENABLED: 'false',
  };
  const child = track(spawn(process.execPath, [...nodeArgs, `${ROOT}dist/bin/mcpd.js`, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const stderr = tail(child.stderr);
  // The server logs `mcpd started` with its URL on stdout; after that its log lines are drained and dropped.
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error('mcpd serve did not start within 20 s')), 20_000);
    const onExit = () => fail(new Error(`mcpd serve exited early (${child.exitCode ?? child.signalCode}): ${stderr.text}${buf.slice(-2000)}`));
    function fail(err) { clearTimeout(timer); child.stdout.off('data', onData); child.off('exit', onExit); reject(err); }
    function onData(d) {
      buf += d;
      for (const line of buf.split('\n').slice(0, -1)) {
        if (!line.includes('"mcpd started"')) continue;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.stdout.resume();
        return resolve(JSON.parse(line).url);
      }
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  return { child, port: Number(new URL(url).port), url };
}

function mcpClient(port) {
  const conns = [];
  let id = 0;
  return {
    async open(n) { while (conns.length < n) conns.push(await new RawHttp(port, { bytes: true }).connect()); },
    /** A tools/call; resolves the body (a Buffer) after checking the status and that it is a result. */
    async call(worker, tool, args) {
      const r = await conns[worker].request(toolCallRequest(port, ++id, tool, args));
      const at = r.body.indexOf('"result":{', 0, 'latin1');
      if (r.status !== 200 || at < 0 || at > 60) {
        throw new Error(`bad tools/call response: HTTP ${r.status} ${r.body.toString('utf8', 0, 300)}`);
      }
      return r.body;
    },
    /** The parsed result; throws on a tool error. */
    async result(tool, args) {
      const body = await this.call(0, tool, args);
      const msg = JSON.parse(body.toString('utf8'));
      if (msg.error || msg.result?.isError) throw new Error(`${tool}: ${body.toString('utf8', 0, 400)}`);
      return { result: msg.result, bytes: body.length };
    },
    close() { for (const c of conns) c.close(); conns.length = 0; },
  };
}

// ---------------------------------------------------------------- the pack in this process
async function loadPack(dir) {
  const [{ filesystemSection }, { Sandbox }, { readTool }, { searchTool }] = await Promise.all([
    import(DIST('packs/filesystem/settings.js')), import(DIST('packs/filesystem/sandbox/index.js')),
    import(DIST('packs/filesystem/tools/read.js')), import(DIST('packs/filesystem/tools/search.js')),
  ]);
  // The defaults, with the root, a read cap over 1 MiB (the whole file is read) and room for every match.
  const settings = filesystemSection.parse({ roots: [dir], maxReadBytes: FS_CONFIG.maxReadBytes, search: { maxResults: FS_CONFIG.maxResults } });
  const sandbox = await Sandbox.create({ roots: settings.roots, refuseHardLinks: settings.refuseHardLinks });
  const tools = { settings, sandbox: () => sandbox };
  const ctx = () => ({ signal: new AbortController().signal, clientCapabilities: {}, identity: undefined });
  return { settings, sandbox, read: readTool(tools), search: searchTool(tools), ctx };
}

// ---------------------------------------------------------------- 1. read 1 MiB
async function makeReadVariant(key, env) {
  const { dir, pack, bigText } = env;
  const path = join(dir, BIG);
  const size = FS_CONFIG.bigBytes;
  if (key === 'readFile') {
    return { call: async () => { const b = await readFile(path); if (b.length !== size) throw new Error(`readFile: ${b.length} bytes`); } };
  }
  if (key === 'readFileUtf8') {
    return { call: async () => { const s = await readFile(path, 'utf8'); if (s.length !== size) throw new Error(`readFile utf8: ${s.length} chars`); } };
  }
  if (key === 'openRead') {
    const run = async () => {
      const { handle, size: n } = await pack.sandbox.openRead(BIG);
      try {
        const buffer = Buffer.alloc(n);
        let filled = 0;
        while (filled < n) {
          const { bytesRead } = await handle.read(buffer, filled, n - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        if (filled !== size) throw new Error(`openRead: ${filled} bytes`);
        return buffer;
      } finally {
        await handle.close();
      }
    };
    if (!(await run()).equals(Buffer.from(bigText))) throw new Error('openRead: other bytes than the file');
    return { call: run };
  }
  if (key === 'tool') {
    const raw = { path: BIG };
    const run = async () => {
      const r = await pack.read.handler(pack.read.input.parse(raw), pack.ctx());
      const f = r.structuredContent.files[0];
      if (f.bytes !== size || f.truncated || f.text.length !== size - 1) throw new Error(`fs_read: ${JSON.stringify({ ...f, text: f.text?.length })}`);
      return r;
    };
    const r = await run();
    // The text is the file without its final newline (a final newline ends the last line).
    if (r.content[0].text !== bigText.slice(0, -1)) throw new Error('fs_read: other text than the file');
    return { call: run };
  }
  if (key === 'http') {
    const srv = env.server ?? (env.server = await spawnMcpd(dir, env.track));
    const client = mcpClient(srv.port);
    await client.open(Math.max(...FS_CONFIG.concurrency));
    const { result, bytes } = await client.result('fs_read', { path: BIG }); // correctness gate before any timing
    if (result.content[0].text !== bigText.slice(0, -1) || result.structuredContent.files[0].text !== bigText.slice(0, -1)) throw new Error('fs_read over HTTP: other text than the file');
    return {
      responseBytes: bytes,
      cpuPids: { server: srv.child.pid },
      call: async (worker) => {
        const body = await client.call(worker, 'fs_read', { path: BIG });
        if (body.length < 2 * size) throw new Error(`fs_read over HTTP: a ${body.length}-byte response: ${body.toString('utf8', 0, 300)}`);
      },
      close: async () => client.close(),
    };
  }
  throw new Error(`unknown read variant ${key}`);
}

async function benchRead(env, out) {
  const { log, step } = env;
  const keys = FS_CONFIG.readVariants.filter((k) => READ_LABELS[k]);
  const slice = (FS_CONFIG.duration / FS_CONFIG.rounds) * 1000;
  log(`\n-- 1. Read ${fmt.int(FS_CONFIG.bigBytes)} bytes (${BIG}): per variant and concurrency ${FS_CONFIG.warmup}s warm-up, then ${FS_CONFIG.duration}s ` +
    `as ${FS_CONFIG.rounds} interleaved slices --`);
  const variants = {};
  try {
    for (const key of keys) {
      step(`read: starting ${key}`);
      variants[key] = await makeReadVariant(key, env);
    }
    if (variants.http) out.readHttpResponseBytes = variants.http.responseBytes;
    const runs = [];
    for (const callers of FS_CONFIG.concurrency) {
      const accs = Object.fromEntries(keys.map((k) => [k, newAcc()]));
      const sliceP50 = Object.fromEntries(keys.map((k) => [k, []]));
      const loads = await interleavedRounds(variants, keys, {
        callers, warmupMs: FS_CONFIG.warmup * 1000, rounds: FS_CONFIG.rounds, sliceMs: slice, accs, label: `read: ${callers} caller(s): `, step,
        onRound: () => env.noise.sample(),
        onSlice: (k, before) => sliceP50[k].push(median(accs[k].latencies.slice(before))),
      });
      for (const k of keys) {
        const { cpuUsPerCall, ...summary } = summarize(accs[k]);
        runs.push({ variant: k, label: READ_LABELS[k], callers, ...summary, serverCpuUsPerCall: cpuUsPerCall.server, sliceP50Ms: sliceP50[k], loadavg: loads });
      }
    }
    out.readRuns = runs;
    const get = (k, c) => runs.find((r) => r.variant === k && r.callers === c);
    // Ratios over readFile (NaN when readFile was not measured).
    const NONE = { p50Ms: NaN, p99Ms: NaN, callsPerSec: NaN };
    out.readRatios = FS_CONFIG.concurrency.map((c) => {
      const b = get('readFile', c) ?? NONE;
      return {
        callers: c,
        ...Object.fromEntries(keys.filter((k) => k !== 'readFile').flatMap((k) => [
          [`p50_${k}_over_readFile`, get(k, c).p50Ms / b.p50Ms],
          [`p99_${k}_over_readFile`, get(k, c).p99Ms / b.p99Ms],
          [`callsPerSec_${k}_over_readFile`, get(k, c).callsPerSec / b.callsPerSec],
        ])),
      };
    });
    // Slice-to-slice spread of the p50 (max/min over the interleaved slices): how steady the machine was.
    const spread = (xs) => Math.max(...xs) / Math.min(...xs);
    log(table(['callers', 'variant', 'calls/s', 'p50 ms', 'p99 ms', 'p50 / readFile', 'p99 / readFile', 'calls/s / readFile', 'CPU us/call here', 'server', 'slice p50 spread'],
      runs.map((r) => {
        const b = get('readFile', r.callers) ?? NONE;
        return [String(r.callers), r.label, fmt.int(r.callsPerSec), fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), fmt.x(r.p50Ms / b.p50Ms), fmt.x(r.p99Ms / b.p99Ms),
          fmt.pct(r.callsPerSec / b.callsPerSec), fmt.int(r.benchCpuUsPerCall), r.serverCpuUsPerCall === undefined ? '' : fmt.int(r.serverCpuUsPerCall), fmt.x(spread(r.sliceP50Ms))];
      })));
    log('(CPU us/call here: this process — the in-process variants\' work, or the HTTP client; server: the mcpd child. ' +
      `slice p50 spread: max/min of the ${FS_CONFIG.rounds} slices' p50s.` +
      (variants.http ? ` One fs_read HTTP response is ${fmt.int(out.readHttpResponseBytes)} bytes: the text twice, content and structuredContent.)` : ')'));
    for (const r of runs) if (r.errors) throw new Error(`read ${r.variant} x${r.callers}: ${r.errors} failed calls, last: ${r.lastError}`);
  } finally {
    for (const v of Object.values(variants)) await v.close?.().catch(() => {});
  }
}

// ---------------------------------------------------------------- 2. content search
function runGrep(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('grep', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = tail(child.stderr);
    child.stdout.on('data', (d) => out.push(d));
    child.once('error', reject);
    child.once('close', (code) => {
      // grep: 0 some match, 1 none, 2 trouble.
      if (code !== 0 && code !== 1) return reject(new Error(`grep ${args.join(' ')} exited ${code}: ${err.text}`));
      resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}

/** grep output lines -> sorted `file:line` (with -n) or files; paths as the tools display them (relative to the root). */
function grepMatches(text, withLines) {
  const rows = text.split('\n').filter(Boolean).map((row) => {
    if (!withLines) return row;
    const m = /^(.*?):(\d+):/.exec(row);
    if (!m) throw new Error(`grep: unexpected line ${row}`);
    return `${m[1]}:${m[2]}`;
  });
  return rows.sort();
}

/** Plain Node: every file under `treeDir`, read `inFlight` at a time, `includes`; lines of the files that contain the needle. */
async function nodeSearch(dir, inFlight) {
  const entries = await readdir(join(dir, TREE), { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
  const lines = [];
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < files.length) {
      const file = files[next++];
      const text = await readFile(file, 'utf8');
      if (!text.includes(NEEDLE)) continue;
      const rel = file.slice(dir.length + 1);
      text.split('\n').forEach((line, n) => { if (line.includes(NEEDLE)) lines.push(`${rel}:${n + 1}`); });
    }
  }));
  return { lines: lines.sort(), filesVisited: files.length };
}

/**
 * Layer: fs_search's matching alone, on every file already in memory — its loop (search.ts) for literal content:
 * looksBinary, decode, a substring test of the whole text, and only where it matched a split on '\n' and a test of
 * each line (cut to 10,000 characters).
 */
async function loadMatchLayer(dir) {
  const { looksBinary } = await import(DIST('packs/filesystem/text.js'));
  const entries = await readdir(join(dir, TREE), { recursive: true, withFileTypes: true });
  const files = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => {
    const abs = join(e.parentPath ?? e.path, e.name);
    return { path: abs.slice(dir.length + 1), bytes: await readFile(abs) };
  }));
  return () => {
    const lines = [];
    for (const { path, bytes } of files) {
      if (looksBinary(bytes)) continue;
      const whole = bytes.toString('utf8');
      if (!whole.includes(NEEDLE)) continue;
      const text = whole.split('\n');
      for (let i = 0; i < text.length; i++) {
        const line = text[i];
        if ((line.length > 10_000 ? line.slice(0, 10_000) : line).includes(NEEDLE)) lines.push(`${path}:${i + 1}`);
      }
    }
    return { lines: lines.sort(), filesVisited: files.length };
  };
}

const O_PATH = 0o10000000;
// Callback fs calls as promises (plain numbers for descriptors: no FileHandle objects).
const P = { open: promisify(fsOpen), fstat: promisify(fsFstat), readlink: promisify(fsReadlink), readdir: promisify(fsReaddir), close: promisify(fsClose), read: promisify(fsRead) };
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = fsConstants;

/**
 * The scanner's work in plain Node, not the pack's code: each directory opened through its verified parent's
 * descriptor (O_DIRECTORY|O_NOFOLLOW) and verified by readlink, listed with d_type (no lstat per entry); each file
 * opened through the open directory's descriptor with O_NOFOLLOW, then fstat (regular file, one link, size),
 * readlink (inside the root), one read of st_size bytes, close: 5 calls a file. The text is tested whole and split
 * into lines only when it matches. `inFlight` files of a directory at a time (async), or every call synchronous
 * (`sync`: on this thread, without the scanner thread's hand-off); `opath`: each file first opened O_PATH, verified,
 * then re-opened through /proc/self/fd (the rule for paths agents name; 7 calls a file).
 */
function sketchSearch(dir, { sync, inFlight = 1, opath = false }) {
  const fsx = sync
    ? {
      open: async (p, f) => openSync(p, f), fstat: async (fd) => fstatSync(fd), readlink: async (p) => readlinkSync(p, { encoding: 'buffer' }),
      readdir: async (p) => readdirSync(p, { withFileTypes: true }), close: async (fd) => closeSync(fd),
      read: async (fd, buf) => readSync(fd, buf, 0, buf.length, 0),
    }
    : {
      open: (p, f) => P.open(p, f), fstat: (fd) => P.fstat(fd), readlink: (p) => P.readlink(p, { encoding: 'buffer' }),
      readdir: (p) => P.readdir(p, { withFileTypes: true }), close: (fd) => P.close(fd), read: async (fd, buf) => (await P.read(fd, buf, 0, buf.length, 0)).bytesRead,
    };
  const rootBuf = Buffer.from(realpathSync(dir));
  const inRoot = (real) => real.length > rootBuf.length && real[rootBuf.length] === 0x2f && real.subarray(0, rootBuf.length).equals(rootBuf);
  const fdPath = (fd) => `/proc/self/fd/${fd}`;
  return async () => {
    const lines = [];
    let filesVisited = 0;
    // A regular file inside the root, opened for reading, with its fstat; undefined when refused.
    const openFile = async (dirFd, name) => {
      if (!opath) {
        const fd = await fsx.open(`${fdPath(dirFd)}/${name}`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        const st = await fsx.fstat(fd);
        if (st.isFile() && inRoot(await fsx.readlink(fdPath(fd)))) return { fd, st };
        await fsx.close(fd);
        return undefined;
      }
      const located = await fsx.open(`${fdPath(dirFd)}/${name}`, O_PATH | O_RDONLY | O_NOFOLLOW);
      try {
        const st = await fsx.fstat(located);
        if (!st.isFile() || !inRoot(await fsx.readlink(fdPath(located)))) return undefined;
        return { fd: await fsx.open(fdPath(located), O_RDONLY | O_NONBLOCK | O_NOCTTY), st };
      } finally {
        await fsx.close(located);
      }
    };
    const searchFile = async (dirFd, display, name) => {
      const opened = await openFile(dirFd, name);
      if (!opened) return [];
      const { fd, st } = opened;
      try {
        if (st.nlink > 1 || st.size > 2 * 1024 * 1024) return [];
        const buf = Buffer.allocUnsafe(st.size);
        const bytes = buf.subarray(0, await fsx.read(fd, buf));
        if (bytes.indexOf(0) >= 0 && bytes.indexOf(0) < 8192) return [];
        const text = bytes.toString('utf8');
        if (!text.includes(NEEDLE)) return [];
        const found = [];
        text.split('\n').forEach((line, i) => { if (line.includes(NEEDLE)) found.push(`${display}/${name}:${i + 1}`); });
        return found;
      } finally {
        await fsx.close(fd);
      }
    };
    const visit = async (dirFd, display) => {
      const entries = (await fsx.readdir(fdPath(dirFd))).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const files = entries.filter((e) => e.isFile());
      filesVisited += files.length;
      const results = new Array(files.length);
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(inFlight, files.length) }, async () => {
        while (next < files.length) { const i = next++; results[i] = await searchFile(dirFd, display, files[i].name); }
      }));
      for (const r of results) lines.push(...r);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const fd = await fsx.open(`${fdPath(dirFd)}/${e.name}`, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        try {
          if (inRoot(await fsx.readlink(fdPath(fd)))) await visit(fd, `${display}/${e.name}`);
        } finally {
          await fsx.close(fd);
        }
      }
    };
    const top = await fsx.open(join(dir, TREE), O_PATH | O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    try {
      if (!inRoot(await fsx.readlink(fdPath(top)))) throw new Error('sketch: tree outside the root');
      const fd = await fsx.open(fdPath(top), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY);
      try { await visit(fd, TREE); } finally { await fsx.close(fd); }
    } finally {
      await fsx.close(top);
    }
    return { lines: lines.sort(), filesVisited };
  };
}

async function makeSearchVariant(key, env) {
  const { dir, pack } = env;
  const linesOf = (sc) => sc.matches.map((m) => `${m.path}:${m.line}`).sort();
  const toolArgs = (caseSensitive) => ({ path: TREE, content: NEEDLE, caseSensitive, maxResults: FS_CONFIG.maxResults });
  switch (key) {
    case 'grepL': return { run: async () => ({ files: grepMatches(await runGrep(['-r', '-l', NEEDLE, TREE], dir), false) }) };
    case 'grepN': return { run: async () => ({ lines: grepMatches(await runGrep(['-rn', NEEDLE, TREE], dir), true) }) };
    case 'grepNi': return { ignoreCase: true, run: async () => ({ lines: grepMatches(await runGrep(['-rni', NEEDLE, TREE], dir), true) }) };
    case 'nodeSeq': return { run: () => nodeSearch(dir, 1) };
    case 'nodePar': return { run: () => nodeSearch(dir, 16) };
    case 'walk':
    case 'scan': {
      const options = { maxDepth: 64, maxEntries: pack.settings.search.maxFiles, read: key === 'scan', maxFileBytes: pack.settings.search.maxFileBytes };
      return {
        layer: true,
        run: async () => {
          let filesVisited = 0;
          let bytes = 0;
          for await (const f of pack.sandbox.scanFiles(TREE, options)) {
            filesVisited++;
            bytes += f.bytes?.length ?? 0;
          }
          return key === 'scan' ? { filesVisited, bytes } : { filesVisited };
        },
      };
    }
    case 'treeWalk': return {
      layer: true,
      run: async () => {
        let filesVisited = 0;
        for await (const e of pack.sandbox.walk(TREE, { maxDepth: 64, maxEntries: pack.settings.search.maxFiles })) if (e.type === 'file') filesVisited++;
        return { filesVisited };
      },
    };
    case 'match': return { layer: true, run: await loadMatchLayer(dir) };
    case 'sketchPar': return { run: sketchSearch(dir, { sync: false, inFlight: 16 }) };
    case 'sketchSync': return { run: sketchSearch(dir, { sync: true }) };
    case 'sketchSyncOpath': return { run: sketchSearch(dir, { sync: true, opath: true }) };
    case 'tool':
    case 'toolI': {
      const raw = toolArgs(key === 'tool');
      return {
        ignoreCase: key === 'toolI',
        run: async () => {
          const r = await pack.search.handler(pack.search.input.parse(raw), pack.ctx());
          if (r.structuredContent.truncated) throw new Error(`${key}: truncated`);
          return { lines: linesOf(r.structuredContent), filesVisited: r.structuredContent.filesVisited };
        },
      };
    }
    case 'http': {
      const srv = env.server ?? (env.server = await spawnMcpd(dir, env.track));
      const client = mcpClient(srv.port);
      await client.open(1);
      return {
        cpuPid: srv.child.pid,
        run: async () => {
          const { result } = await client.result('fs_search', toolArgs(true));
          if (result.structuredContent.truncated) throw new Error('http: truncated');
          return { lines: linesOf(result.structuredContent), filesVisited: result.structuredContent.filesVisited };
        },
        close: async () => client.close(),
      };
    }
    default: throw new Error(`unknown search variant ${key}`);
  }
}

/** Throws unless a search found exactly the expected lines (or files) and visited every file. */
function checkSearch(key, v, r, expected) {
  const want = v.ignoreCase ? expected.linesI : expected.lines;
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (r.lines && !same(r.lines, want)) {
    const extra = r.lines.filter((x) => !want.includes(x)).slice(0, 5);
    const missing = want.filter((x) => !r.lines.includes(x)).slice(0, 5);
    throw new Error(`search ${key}: ${r.lines.length} matching lines, expected ${want.length} (extra ${extra.join(', ') || '-'}; missing ${missing.join(', ') || '-'})`);
  }
  if (r.files && !same(r.files, filesOf(want))) throw new Error(`search ${key}: ${r.files.length} files, expected ${filesOf(want).length}`);
  if (r.bytes !== undefined && r.bytes !== expected.bytes) throw new Error(`search ${key}: read ${r.bytes} bytes, expected ${expected.bytes}`);
  if (r.filesVisited !== undefined && r.filesVisited !== expected.files) throw new Error(`search ${key}: visited ${r.filesVisited} files, expected ${expected.files}`);
}

/**
 * What one trip through libuv's threadpool costs here and now: sequential fs.promises fstat calls on an open file
 * (the syscall itself is ~1 us: fstatSync is timed too). The asynchronous sketch makes 5 such trips a file (fs_search
 * used to make ~12, one after another; its scanner thread now makes none).
 */
async function handoffProbe(dir, calls = 4000) {
  const { open } = await import('node:fs/promises');
  const handle = await open(join(dir, BIG));
  try {
    for (let i = 0; i < 200; i++) await handle.stat();
    let t0 = performance.now();
    for (let i = 0; i < calls; i++) await handle.stat();
    const asyncUs = ((performance.now() - t0) / calls) * 1000;
    t0 = performance.now();
    for (let i = 0; i < calls; i++) fstatSync(handle.fd);
    const syncUs = ((performance.now() - t0) / calls) * 1000;
    return { asyncUs, syncUs };
  } finally {
    await handle.close();
  }
}

async function benchSearch(env, out) {
  const { log, step, dir, expected } = env;
  const keys = FS_CONFIG.searchVariants.filter((k) => SEARCH_LABELS[k]);
  log(`\n-- 2. Content search for "${NEEDLE}" under ${TREE}/ (${fmt.int(expected.files)} files, ${fmt.int(expected.dirs)} directories, ` +
    `${fmt.mb(expected.bytes)} MB): one warm-up run, then ${FS_CONFIG.searchRuns} runs of each variant, interleaved --`);
  // grep visits: -c prints a count for every file it reads.
  const counted = (await runGrep(['-rc', NEEDLE, TREE], dir)).split('\n').filter(Boolean);
  const grepVisited = counted.length;
  const grepCountSum = counted.reduce((s, row) => s + Number(row.slice(row.lastIndexOf(':') + 1)), 0);
  if (grepVisited !== expected.files || grepCountSum !== expected.lines.length) {
    throw new Error(`grep -rc: ${grepVisited} files read, ${grepCountSum} matching lines; expected ${expected.files} and ${expected.lines.length}`);
  }
  const variants = {};
  try {
    for (const key of keys) {
      step(`search: starting ${key}`);
      variants[key] = await makeSearchVariant(key, env);
    }
    const res = Object.fromEntries(keys.map((k) => [k, { ms: [], cpuMs: [], serverCpuMs: [], loopMaxMs: [] }]));
    const once = async (k) => {
      const v = variants[k];
      const s0 = v.cpuPid ? procCpuSec(v.cpuPid) : 0;
      // The longest the event loop went unserved during the run: a server's other requests would wait that long.
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      // The monitor measures from its first tick: one must pass before the run, or a run that blocks is not seen.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await v.run();
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      // One more turn of the loop, so that a run that blocked it to the end is recorded.
      await new Promise((resolve) => setTimeout(resolve, 2));
      loop.disable();
      checkSearch(k, v, r, expected);
      return { ms, cpuMs: (c.user + c.system) / 1000, serverCpuMs: v.cpuPid ? (procCpuSec(v.cpuPid) - s0) * 1000 : undefined, loopMaxMs: loop.max / 1e6, r };
    };
    for (const k of keys) {
      step(`search: warm-up ${k}`);
      const w = await once(k);
      res[k].filesVisited = w.r.filesVisited ?? (k.startsWith('grep') ? grepVisited : undefined);
      res[k].matches = w.r.lines?.length ?? w.r.files?.length;
      res[k].matchKind = w.r.lines ? 'lines' : w.r.files ? 'files' : '';
    }
    const probes = [await handoffProbe(dir)];
    for (let round = 0; round < FS_CONFIG.searchRuns; round++) {
      step(`search: round ${round + 1}/${FS_CONFIG.searchRuns}`);
      env.noise.sample();
      if (round) probes.push(await handoffProbe(dir));
      for (let i = 0; i < keys.length; i++) {
        const k = keys[(i + round) % keys.length];
        const r = await once(k);
        res[k].ms.push(r.ms);
        res[k].cpuMs.push(r.cpuMs);
        res[k].loopMaxMs.push(r.loopMaxMs);
        if (r.serverCpuMs !== undefined) res[k].serverCpuMs.push(r.serverCpuMs);
      }
    }
    const runs = keys.map((k) => ({
      variant: k, label: SEARCH_LABELS[k], runsMs: res[k].ms, medianMs: median(res[k].ms), minMs: Math.min(...res[k].ms), maxMs: Math.max(...res[k].ms),
      cpuMsHere: median(res[k].cpuMs), loopMaxMs: median(res[k].loopMaxMs), serverCpuMs: res[k].serverCpuMs.length ? median(res[k].serverCpuMs) : undefined,
      filesVisited: res[k].filesVisited, matches: res[k].matches, matchKind: res[k].matchKind,
    }));
    probes.push(await handoffProbe(dir));
    out.searchRuns = runs;
    out.grepVisited = grepVisited;
    out.threadpoolTrip = { asyncUs: probes.map((p) => p.asyncUs), syncUs: probes.map((p) => p.syncUs), medianAsyncUs: median(probes.map((p) => p.asyncUs)), medianSyncUs: median(probes.map((p) => p.syncUs)) };
    const get = (k) => runs.find((r) => r.variant === k);
    const over = (k, base) => (get(k) && get(base) ? get(k).medianMs / get(base).medianMs : NaN);
    // The ratio of the fastest runs: the least disturbed estimate on a shared machine.
    const overMin = (k, base) => (get(k) && get(base) ? get(k).minMs / get(base).minMs : NaN);
    out.searchRatios = Object.fromEntries(keys.flatMap((k) => [[`${k}_over_grepN`, over(k, 'grepN')], [`${k}_over_grepL`, over(k, 'grepL')]]));
    out.searchRatiosOfMin = Object.fromEntries(keys.map((k) => [`${k}_over_grepN`, overMin(k, 'grepN')]));
    if (keys.includes('toolI')) out.searchRatios.toolI_over_grepNi = over('toolI', 'grepNi');
    log(table(['variant', 'what', 'median ms', 'min ms', 'max ms', '/ grep -rn', '/ grep -r -l', 'min / min grep -rn', 'CPU ms here', 'CPU ms server', 'loop max ms', 'files visited', 'matches'],
      runs.map((r) => [r.variant, r.label, fmt.ms(r.medianMs), fmt.ms(r.minMs), fmt.ms(r.maxMs), fmt.x(over(r.variant, 'grepN')), fmt.x(over(r.variant, 'grepL')), fmt.x(overMin(r.variant, 'grepN')),
        r.variant.startsWith('grep') ? '(child)' : fmt.ms(r.cpuMsHere), r.serverCpuMs === undefined ? '' : fmt.ms(r.serverCpuMs), fmt.ms(r.loopMaxMs),
        r.filesVisited === undefined ? '' : fmt.int(r.filesVisited), r.matches === undefined ? '' : `${r.matches} ${r.matchKind}`])));
    log(`(Expected: ${expected.lines.length} lines in ${filesOf(expected.lines).length} files case-sensitive, ${expected.linesI.length} lines in ` +
      `${filesOf(expected.linesI).length} files ignoring case; every run of every variant was checked against them. grep files visited: ` +
      `\`grep -rc\` lists ${fmt.int(grepVisited)} files. grep times include spawning it (a few ms). CPU ms here: this process, threadpool and scanner ` +
      'threads included; server: the mcpd child. Loop max: the longest event-loop delay during a run, median over the runs.)');
    const trip = out.threadpoolTrip;
    log(`One threadpool trip (await fh.stat() on an open file, sequential): median ${fmt.ms(trip.medianAsyncUs)} us ` +
      `(${trip.asyncUs.map((u) => u.toFixed(0)).join(', ')} over the rounds); the same fstat synchronous: ${fmt.ms(trip.medianSyncUs)} us. ` +
      `The asynchronous sketch pays one a call (5 a file: ~${fmt.int((5 * trip.medianAsyncUs * expected.files) / 1000)} ms of hand-offs, shared over 16 in flight ` +
      'and the threadpool\'s 4 threads); fs_search\'s scanner thread makes its calls synchronously.');
    if (keys.includes('toolI') && keys.includes('grepNi')) log(`fs_search ignoring case (its default) / grep -rni: ${fmt.x(out.searchRatios.toolI_over_grepNi)}`);
    if (get('walk') && get('scan') && get('tool')) {
      out.searchLayers = {
        walkMs: get('walk').medianMs,
        openReadMs: get('scan').medianMs - get('walk').medianMs,
        restMs: get('tool').medianMs - get('scan').medianMs,
        matchInMemoryMs: get('match')?.medianMs,
        perFileUs: { walk: (get('walk').medianMs / expected.files) * 1000, openRead: ((get('scan').medianMs - get('walk').medianMs) / expected.files) * 1000 },
      };
      const l = out.searchLayers;
      log(`Where fs_search's time goes (differences of medians): the scanner's walk ${fmt.ms(l.walkMs)} ms (${fmt.int(l.perFileUs.walk)} us/file), verified ` +
        `open + read ${fmt.ms(l.openReadMs)} ms (${fmt.int(l.perFileUs.openRead)} us/file), the rest (matching on the main thread, overlapping the ` +
        `scanner's reads) ${l.restMs > 0 ? `${fmt.ms(l.restMs)} ms` : 'lost in the noise'}` +
        (get('match') ? `; matching measured alone on the files in memory: ${fmt.ms(l.matchInMemoryMs)} ms.` : '.'));
    }
  } finally {
    for (const v of Object.values(variants)) await v.close?.().catch(() => {});
  }
}

// ---------------------------------------------------------------- --profile: where the tools spend their CPU
/** Runs `fn` `runs` times under the V8 sampling profiler; prints self time by function and by file. */
async function profileCalls(env, name, fn, runs) {
  const { Session } = await import('node:inspector/promises');
  const { log } = env;
  await fn(); // warm
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const times = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  mkdirSync(`${ROOT}.bench`, { recursive: true });
  writeFileSync(`${ROOT}.bench/filesystem-${name}.cpuprofile`, JSON.stringify(profile));
  times.sort((a, b) => a - b);
  log(`\n-- ${name}: ${runs} profiled calls, median ${fmt.ms(median(times))} ms; process CPU ${fmt.ms((cpu.user + cpu.system) / 1000 / runs)} ms/call ` +
    `(main thread and threadpool), ${fmt.pct((cpu.user + cpu.system) / 1000 / wallMs)} of the wall time --`);
  printProfile(env, profile, runs, `.bench/filesystem-${name}.cpuprofile`);
}

/** Self time by function and by file of a .cpuprofile, per call. */
function printProfile(env, profile, runs, written) {
  const { log } = env;
  // Self time by function (samples x their intervals), and the same rolled up by file.
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...dt.values()].reduce((x, y) => x + y, 0);
  const byFn = new Map();
  const byFile = new Map();
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    if (!us) continue;
    const f = node.callFrame;
    const file = f.url ? f.url.replace(pathToFileURL(ROOT).href, '').replace(/^file:\/\//, '') : `(${f.functionName || 'native'})`;
    const fn = `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([label, us]) => [label, fmt.pct(us / total), fmt.ms(us / 1000 / runs)]);
  log(table(['function (self time, main thread)', 'share', 'ms/call'], top(byFn, 25)));
  log('');
  log(table(['file (self time, main thread)', 'share', 'ms/call'], top(byFile, 12)));
  log(`(sampled every 100 us on the main thread; "(idle)": the main thread waiting, here for the threadpool's syscalls. ` +
    `Written to ${written})`);
}

/** `mcpd serve` under --cpu-prof: `calls` tools/call of `tool`, then a clean stop writes the profile. */
async function profileServer(env, name, tool, args, calls) {
  const dir = `${ROOT}.bench/filesystem-server-prof`;
  rmSync(dir, { recursive: true, force: true });
  const srv = await spawnMcpd(env.dir, env.track, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100']);
  const client = mcpClient(srv.port);
  try {
    await client.open(1);
    await client.result(tool, args); // warm
    const s0 = procCpuSec(srv.child.pid);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await client.call(0, tool, args);
    const ms = (performance.now() - t0) / calls;
    env.log(`\n-- ${name}: mcpd serve, ${calls} tools/call ${tool} over HTTP, ${fmt.ms(ms)} ms/call, server CPU ${fmt.ms(((procCpuSec(srv.child.pid) - s0) * 1000) / calls)} ms/call ` +
      '(the profile also holds start-up and one warm-up call) --');
  } finally {
    client.close();
    await stopChild(srv.child, 10_000);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`mcpd serve wrote no profile in ${dir}`);
  const target = `${ROOT}.bench/filesystem-${name}.cpuprofile`;
  renameSync(join(dir, file), target);
  rmSync(dir, { recursive: true, force: true });
  printProfile(env, JSON.parse(readFileSync(target, 'utf8')), calls, `.bench/filesystem-${name}.cpuprofile`);
}

async function profileTools(env) {
  const search = await makeSearchVariant('tool', env);
  await profileCalls(env, 'fs_search', async () => checkSearch('tool', search, await search.run(), env.expected), FS_CONFIG.profileRuns);
  const read = await makeReadVariant('tool', env);
  await profileCalls(env, 'fs_read', () => read.call(), 200);
  const openRead = await makeReadVariant('openRead', env);
  await profileCalls(env, 'openRead', () => openRead.call(), 200);
  await profileServer(env, 'server-fs_read', 'fs_read', { path: BIG }, 200);
  await profileServer(env, 'server-fs_search', 'fs_search', { path: TREE, content: NEEDLE, caseSensitive: true, maxResults: FS_CONFIG.maxResults }, FS_CONFIG.profileRuns);
}

// ---------------------------------------------------------------- which build is measured
/**
 * The build under test: a digest of dist/packs/filesystem/**.js and dist/bin (the bundle `mcpd serve` runs), and
 * the newest modification time among them. Taken at the start and the end: a rebuild during the run is an error.
 */
function distFingerprint() {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) files.push(p);
    }
  };
  walk(`${ROOT}dist/packs/filesystem`);
  walk(`${ROOT}dist/bin`);
  files.sort();
  const hash = createHash('sha256');
  let newest = 0;
  for (const f of files) {
    hash.update(f.slice(ROOT.length)).update('\0').update(readFileSync(f)).update('\0');
    newest = Math.max(newest, statSync(f).mtimeMs);
  }
  return { sha256: hash.digest('hex').slice(0, 16), files: files.length, newestMtime: new Date(newest).toISOString() };
}

// ---------------------------------------------------------------- entry points
/**
 * The benchmark: `results.filesystem` gets config, the read runs and ratios, the search runs and ratios, and how
 * busy the machine was. `h.track(child)` registers a child process for cleanup; `h.log` prints; `h.step` shows progress.
 */
export async function benchFilesystem(results, h = {}) {
  const log = h.log ?? ((...a) => console.log(...a));
  const step = h.step ?? ((msg) => process.stderr.write(`  · ${msg}\n`));
  const track = h.track ?? ((child) => child);
  const out = { config: { ...FS_CONFIG, needle: NEEDLE }, errors: [] };
  results.filesystem = out;
  out.build = distFingerprint();
  const dir = mkdtempSync(join(os.tmpdir(), 'mcpd-fs-bench-'));
  const env = { dir, log, step, track };
  try {
    step(`writing the tree under ${dir}`);
    const t0 = performance.now();
    env.expected = makeTree(dir, FS_CONFIG.files);
    env.bigText = readFileSync(join(dir, BIG), 'utf8');
    out.tree = { setupMs: performance.now() - t0, files: env.expected.files, dirs: env.expected.dirs, bytes: env.expected.bytes, bigBytes: FS_CONFIG.bigBytes,
      matchingLines: env.expected.lines.length, matchingFiles: filesOf(env.expected.lines).length,
      matchingLinesIgnoreCase: env.expected.linesI.length, matchingFilesIgnoreCase: filesOf(env.expected.linesI).length };
    env.pack = await loadPack(dir);
    if (h.profile) {
      await profileTools(env);
      return out;
    }
    log(`\n== Filesystem tools: fs_read vs fs.promises.readFile, fs_search vs grep -r (node ${process.version}, ${os.cpus().length} CPUs, ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; build ${out.build.sha256}, dist files up to ${out.build.newestMtime}) ==`);
    env.noise = noiseMeter();
    try {
      if (FS_CONFIG.readVariants.length) await benchRead(env, out);
      if (FS_CONFIG.searchVariants.length) await benchSearch(env, out);
    } finally {
      const liveServerCpu = env.server ? procCpuSec(env.server.child.pid) : 0;
      out.machine = env.noise.stop(liveServerCpu);
    }
    const end = distFingerprint();
    if (end.sha256 !== out.build.sha256) {
      throw new Error(`dist/ was rebuilt during the run (${out.build.sha256} at the start, ${end.sha256} at the end): the figures mix two builds; run again`);
    }
    const m = out.machine;
    log(`\nMachine: ${m.cores} CPUs; over the ${fmt.ms(m.seconds)} s measured, ${m.busyCores.toFixed(2)} cores were busy on average, ` +
      `${m.ownCores.toFixed(2)} of them this benchmark (with its children) and ${m.otherCores.toFixed(2)} other processes; ` +
      `1-min load average ${m.loadavg.map((l) => l.toFixed(2)).join(' → ')}.`);
  } catch (err) {
    out.errors.push(String(err?.stack ?? err));
    throw err;
  } finally {
    if (env.server) await stopChild(env.server.child);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const profile = process.argv.includes('--profile');
  await runStandalone('filesystem', async (results, track) => {
    try {
      const out = await benchFilesystem(results, { track, profile });
      // A profile run keeps its .cpuprofile files, not a results file.
      return profile ? undefined : out;
    } catch (err) {
      console.error(`\nFilesystem benchmark FAILED: ${err?.stack ?? err}`);
      process.exitCode = 1;
      return undefined;
    }
  });
}
