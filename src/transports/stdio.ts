/**
 * stdio: newline-delimited JSON-RPC on stdin/stdout. stdout carries protocol
 * messages and nothing else; every log line goes to stderr.
 */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../protocol/engine.js';
import { MessageConnection } from './connection.js';

export interface StdioOptions {
  input?: Readable;
  output?: Writable;
  /** Largest accepted line, in bytes; a longer one is answered with an error and skipped. */
  maxLineBytes?: number;
}

export function serveStdio(engine: Engine, options: StdioOptions = {}): { closed: Promise<void>; close(): void } {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const maxLineBytes = options.maxLineBytes ?? 4 * 1024 * 1024;
  const connection = new MessageConnection(engine, 'stdio', (message) => output.write(`${message}\n`), {
    subject: 'stdio',
    scopes: ['*'],
    method: 'stdio',
  });
  let buffer = '';
  let discarding = false;
  const onData = (chunk: Buffer | string) => {
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (discarding) {
        discarding = false;
        continue;
      }
      if (line.trim() !== '') connection.receive(line);
    }
    if (buffer.length > maxLineBytes) {
      buffer = '';
      discarding = true;
      output.write(`${JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: `Invalid Request: message exceeds ${maxLineBytes} bytes` } })}\n`);
    }
  };
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = () => {
    input.off('data', onData);
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
