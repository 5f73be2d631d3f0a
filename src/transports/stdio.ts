/**
 * stdio: newline-delimited JSON-RPC on stdin/stdout. stdout carries protocol
 * messages and nothing else; every log line goes to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import type { Identity } from '../api/types.js';
import type { Engine } from '../protocol/engine.js';
import { MessageConnection } from './connection.js';

export interface StdioOptions {
  input?: Readable;
  output?: Writable;
  /** Largest accepted line, in bytes; a longer one is answered with an error and skipped. */
  maxLineBytes?: number;
  /**
   * Who is on the other end. Default: the local user who launched the process,
   * trusted with every scope (a token from the environment can narrow it).
   */
  identity?: Identity;
}

export const LOCAL_STDIO_IDENTITY: Identity = Object.freeze({ subject: 'stdio', scopes: Object.freeze(['*']), method: 'stdio' });

export function serveStdio(engine: Engine, options: StdioOptions = {}): { closed: Promise<void>; close(): void } {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024;
  const connection = new MessageConnection(engine, 'stdio', (message) => output.write(`${message}\n`), options.identity ?? LOCAL_STDIO_IDENTITY);
  // Lines are split on the byte 0x0A and decoded whole, so a character split across chunks survives.
  let parts: Buffer[] = [];
  let size = 0;
  let discarding = false;
  const tooLong = () =>
    output.write(`${JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: `Invalid Request: message exceeds ${maxLineBytes} bytes` } })}\n`);
  const onData = (data: Buffer | string) => {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        const rest = chunk.subarray(start);
        size += rest.length;
        if (discarding) break;
        if (size > maxLineBytes) {
          parts = [];
          discarding = true;
          tooLong();
        } else if (rest.length > 0) parts.push(rest);
        break;
      }
      const piece = chunk.subarray(start, newline);
      const total = size + piece.length;
      const line = parts.length === 0 ? piece : Buffer.concat([...parts, piece], total);
      parts = [];
      size = 0;
      start = newline + 1;
      if (discarding) {
        discarding = false;
        continue;
      }
      if (total > maxLineBytes) {
        tooLong();
        continue;
      }
      const text = line.toString('utf8');
      if (text.trim() !== '') connection.receive(text.endsWith('\r') ? text.slice(0, -1) : text);
    }
  };
  const restoreConsole = output === process.stdout ? routeConsoleToStderr() : () => {};
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = () => {
    input.off('data', onData);
    restoreConsole();
    connection.close();
    resolveClosed();
  };
  // End of input: answer what was already asked, then close.
  const finish = () => void connection.drained().then(close);
  input.on('data', onData);
  input.once('end', finish);
  input.once('close', finish);
  return { closed, close };
}

/**
 * While stdout carries the protocol, a stray `console.log` in a tool must not
 * corrupt it: console output is sent to stderr until the transport closes.
 */
function routeConsoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  return () => Object.assign(console, saved);
}
