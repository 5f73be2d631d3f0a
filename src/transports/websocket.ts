/**
 * WebSocket: one JSON-RPC message per text frame, subprotocol `mcp`, on the MCP
 * endpoint's path. Each socket is a message connection with its own session.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Identity } from '../api/types.js';
import type { Engine } from '../protocol/engine.js';
import type { Authenticator, AuthOutcome } from '../security/auth/authenticator.js';
import { checkHostOrigin, type HostOriginPolicy } from '../security/host-origin.js';
import { MessageConnection } from './connection.js';

export interface WebSocketOptions {
  path: string;
  policy: HostOriginPolicy | undefined;
  maxPayloadBytes: number;
  authenticator?: Authenticator;
}

export function attachWebSocket(server: Server, engine: Engine, options: WebSocketOptions): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    handleProtocols: (protocols) => (protocols.has('mcp') ? 'mcp' : false),
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    if (options.policy) {
      const verdict = checkHostOrigin(options.policy, req.headers.host, req.headers.origin);
      if (!verdict.ok) {
        socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
        return;
      }
    }
    const upgrade = (identity: Identity | undefined) => wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, engine, identity));
    const authenticator = options.authenticator;
    if (!authenticator) return upgrade(undefined);
    const refuse = (outcome: Extract<AuthOutcome, { ok: false }>) => {
      const headers = Object.entries(outcome.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${outcome.status} ${outcome.status === 400 ? 'Bad Request' : 'Unauthorized'}\r\n${headers}connection: close\r\n\r\n`);
    };
    const outcome = authenticator.authenticate(req);
    if (!(outcome instanceof Promise)) return outcome.ok ? upgrade(outcome.identity) : refuse(outcome);
    outcome.then((settled) => (settled.ok ? upgrade(settled.identity) : refuse(settled)), () => socket.destroy());
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.close(1001, 'server shutting down');
    wss.close();
  };
}

function serveSocket(ws: WebSocket, engine: Engine, identity: Identity | undefined): void {
  let connection: MessageConnection;
  try {
    connection = new MessageConnection(engine, 'websocket', (message) => ws.send(message), identity);
  } catch {
    ws.close(1013, 'Too many sessions');
    return;
  }
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.send(JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request: binary frames are not supported' } }));
      return;
    }
    connection.receive(data.toString());
  });
  ws.once('close', () => connection.close());
  ws.on('error', () => connection.close());
}
