/**
 * The embedded database's own thread (or, for `init`, its own process):
 * PGlite — PostgreSQL compiled to WebAssembly — speaking the PostgreSQL wire
 * protocol to the main thread over a MessagePort. It runs here rather than on
 * the main thread because a WebAssembly PostgreSQL cannot interrupt itself:
 * a long statement would block the event loop and ignore statement_timeout.
 * Here, the main thread stays responsive and stops a runaway statement by
 * terminating this thread (see embedded-postgres.ts).
 *
 * Two modes:
 * - `init` (a child process, run once per data directory): initdb, seed the
 *   demo data, close. Initdb needs several hundred MB that a thread would
 *   keep in the server's resident memory; a process gives it back at exit.
 * - serve (a worker thread): open the data directory and relay protocol
 *   bytes for one client connection at a time.
 */
import { inspect } from 'node:util';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import { DEMO_SEED_SQL } from './seed.js';
import type { ToWorker, FromWorker } from './messages.js';

const TERMINATE = 0x58; // 'X': a client closing its connection; the single backend must live on.

async function init(dataDir: string, seed: boolean): Promise<void> {
  const db = await PGlite.create({ dataDir, relaxedDurability: true });
  if (seed) await db.exec(DEMO_SEED_SQL);
  await db.close();
}

async function serve(dataDir: string): Promise<void> {
  const port = parentPort!;
  // PostgreSQL's default 128 MB of shared buffers would be most of the thread's memory; a small
  // embedded database is served as well from 16 MB.
  const db = await PGlite.create({ dataDir, relaxedDurability: true, postgresqlconf: 'shared_buffers=16MB' });
  let current = 0;
  let queue = Promise.resolve();
  const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const run = async (bytes: Uint8Array): Promise<Uint8Array> => db.execProtocolRaw(bytes);

  port.on('message', (message: ToWorker) => {
    // One backend serves every connection in turn: the queue keeps their bytes from interleaving.
    queue = queue.then(async () => {
      if (message.op === 'open') {
        // What a previous connection left behind (an open or failed transaction, session settings)
        // must not reach the next one: a pooled PostgreSQL connection would have been discarded.
        current = message.id;
        await run(new Uint8Array(serialize.query('ROLLBACK')));
        await run(new Uint8Array(serialize.query('DISCARD ALL')));
        return;
      }
      if (message.op === 'close') {
        if (message.id === current) current = 0;
        return;
      }
      if (message.id !== current) return;
      if (message.bytes[0] === TERMINATE && message.bytes.length === 5) return;
      const out = await run(message.bytes);
      if (out.length > 0 && message.id === current) send({ op: 'data', id: message.id, bytes: out }, [out.buffer as ArrayBuffer]);
    }).catch((error: unknown) => {
      // PGlite ends its backend with an emscripten ExitStatus (not an Error) on FATAL errors.
      const failed = (error as { message?: unknown } | undefined)?.message;
      send({ op: 'failed', message: typeof failed === 'string' ? failed : inspect(error) });
    });
  });
  send({ op: 'ready' });
}

const options = (isMainThread ? { mode: process.argv[2], dataDir: process.argv[3], seed: process.argv[4] === 'seed' } : workerData) as {
  mode: string;
  dataDir: string;
  seed?: boolean;
};
if (options.mode === 'init') {
  init(options.dataDir, options.seed === true).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
} else {
  serve(options.dataDir).catch((error: unknown) => parentPort?.postMessage({ op: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromWorker));
}
