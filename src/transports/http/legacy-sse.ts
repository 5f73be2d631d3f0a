/**
 * The 2024-11-05 HTTP+SSE transport for old clients: `GET /sse` opens the
 * stream and names the POST endpoint in an `endpoint` event; every message the
 * client POSTs to `/messages?sessionId=…` is answered on that stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from '../../api/types.js';
import type { Engine } from '../../protocol/engine.js';
import { MessageConnection } from '../connection.js';
import { BodyTooLarge, readBody } from './body.js';
import { SseWriter } from './sse.js';
import { isJsonContentType, sendJsonError } from './streamable.js';

export class LegacySseHandler {
  private readonly connections = new Map<string, { connection: MessageConnection; writer: SseWriter }>();

  constructor(
    private readonly engine: Engine,
    private readonly maxBodyBytes: number,
    private readonly keepAliveMs: number,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse, path: string, url: string, identity?: Identity): Promise<void> | void {
    if (path === '/sse' && req.method === 'GET') return this.open(res, identity);
    if (path === '/messages' && req.method === 'POST') return this.post(req, res, url, identity);
    req.resume();
    res.writeHead(405, { allow: path === '/sse' ? 'GET' : 'POST' }).end();
  }

  private open(res: ServerResponse, identity: Identity | undefined): void {
    // The connection exists before the stream opens (it may be refused), so it writes through a late-bound slot.
    const slot: { writer?: SseWriter } = {};
    let connection: MessageConnection;
    try {
      connection = new MessageConnection(this.engine, 'sse', (message) => slot.writer?.event(message), identity);
    } catch {
      return sendJsonError(res, 503, null, { code: -32005, message: 'Too many sessions' }, { 'retry-after': '1' });
    }
    const writer = SseWriter.open(res, undefined, this.keepAliveMs);
    slot.writer = writer;
    const id = connection.session.id;
    this.connections.set(id, { connection, writer });
    res.write(`event: endpoint\ndata: /messages?sessionId=${id}\n\n`);
    res.once('close', () => {
      this.connections.delete(id);
      connection.close();
    });
  }

  private async post(req: IncomingMessage, res: ServerResponse, url: string, identity: Identity | undefined): Promise<void> {
    const sessionId = new URL(url, 'http://localhost').searchParams.get('sessionId');
    const entry = sessionId === null ? undefined : this.connections.get(sessionId);
    // Another caller's session id looks exactly like an unknown one.
    if (!entry || entry.connection.session.identity?.subject !== identity?.subject) {
      req.resume();
      return sendJsonError(res, 404, null, { code: -32001, message: 'Session not found' });
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      req.resume();
      return sendJsonError(res, 415, null, { code: -32600, message: 'Unsupported Media Type: Content-Type must be application/json' });
    }
    let text: string;
    try {
      text = await readBody(req, this.maxBodyBytes);
    } catch (error) {
      const tooLarge = error instanceof BodyTooLarge;
      return sendJsonError(res, tooLarge ? 413 : 400, null, { code: -32600, message: tooLarge ? 'Payload Too Large' : 'Could not read the request body' });
    }
    res.writeHead(202).end('Accepted');
    entry.connection.receive(text);
  }

  closeAll(): void {
    for (const { connection, writer } of this.connections.values()) {
      writer.end();
      connection.close();
    }
    this.connections.clear();
  }
}
