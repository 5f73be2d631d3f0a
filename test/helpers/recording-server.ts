/**
 * HTTP servers on loopback addresses that record every TCP connection they
 * accept (the server's 'connection' event, before any HTTP parsing) and every
 * request. A refused outbound request must leave `connections` empty: that is
 * the proof that not one byte reached the target.
 *
 * `startRecordingServers()` listens on one port on 127.0.0.1, on ::1 when the
 * host has IPv6 loopback, and on any extra loopback addresses asked for
 * (127.0.0.2, … on Linux), so that every spelling of "this machine" a request
 * could sneak through (0.0.0.0, [::], [::ffff:127.0.0.1], …) lands on a
 * recorder.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedConnection {
  remoteAddress: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
}

export interface RecordedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  localAddress: string | undefined;
}

export interface RecordingServer {
  /** The address listened on ('127.0.0.1', '::1', …). */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT`, `http://[::1]:PORT`. */
  readonly origin: string;
  readonly connections: RecordedConnection[];
  readonly requests: RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export interface RecordingServers {
  /** The port every server listens on. */
  readonly port: number;
  readonly v4: RecordingServer;
  /** On ::1, when the host has IPv6 loopback. */
  readonly v6: RecordingServer | undefined;
  /** Every server, extra addresses included. */
  readonly all: RecordingServer[];
  /** Connections accepted by all servers since the last reset. */
  connectionCount(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Starts one recording server; rejects when the address cannot be listened on. */
export async function startRecordingServer(host = '127.0.0.1', port = 0): Promise<RecordingServer> {
  const connections: RecordedConnection[] = [];
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, headers: req.headers, localAddress: req.socket.localAddress });
    res.setHeader('content-type', 'text/plain');
    res.end(`recorded by ${host}`);
  });
  server.on('connection', (socket) => {
    connections.push({ remoteAddress: socket.remoteAddress, localAddress: socket.localAddress, localPort: socket.localPort });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    host,
    port: bound,
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    connections,
    requests,
    reset() {
      connections.length = 0;
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Recording servers sharing one port on 127.0.0.1, ::1 (if available) and each
 * of `extraHosts` (skipped when the address cannot be bound; check `all`).
 */
export async function startRecordingServers(options: { extraHosts?: string[] } = {}): Promise<RecordingServers> {
  for (let attempt = 0; ; attempt++) {
    const v4 = await startRecordingServer('127.0.0.1');
    const all = [v4];
    let v6: RecordingServer | undefined;
    try {
      for (const host of ['::1', ...(options.extraHosts ?? [])]) {
        try {
          const server = await startRecordingServer(host, v4.port);
          all.push(server);
          if (host === '::1') v6 = server;
        } catch (error) {
          // The port is taken there by someone else: start over on another port.
          if ((error as { code?: string }).code === 'EADDRINUSE') throw error;
        }
      }
    } catch (error) {
      await Promise.all(all.map((server) => server.close()));
      if (attempt >= 5) throw error;
      continue;
    }
    return {
      port: v4.port,
      v4,
      v6,
      all,
      connectionCount: () => all.reduce((sum, server) => sum + server.connections.length, 0),
      reset: () => all.forEach((server) => server.reset()),
      close: async () => void (await Promise.all(all.map((server) => server.close()))),
    };
  }
}
