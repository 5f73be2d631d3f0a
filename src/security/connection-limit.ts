/**
 * Per-address connection cap: one peer cannot hold every socket of the server
 * (idle keep-alive or slow-header floods). Counted per TCP peer, so a trusted
 * proxy — which carries every client's connections — is exempt; behind one,
 * the per-caller rate limit does this job.
 */
import type { Server, Socket } from 'node:net';

const BODY = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32005, message: 'Too many connections from this address', data: { errorCode: 'UNAVAILABLE' } } });
const REFUSAL = `HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;

export class ConnectionLimiter {
  private readonly open = new Map<string, number>();
  /** Sockets refused at connect time: any request the HTTP parser still reads from them is dropped unanswered. */
  private readonly refused = new WeakSet<Socket>();

  constructor(
    private readonly maxPerAddress: number,
    private readonly exempt: (address: string) => boolean,
    private readonly onRefused?: () => void,
  ) {}

  /** Installed before the HTTP server's own connection listener, so a refused socket never reaches a handler. */
  attach(server: Server): void {
    if (this.maxPerAddress <= 0) return;
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
  }

  isRefused(socket: Socket): boolean {
    return this.refused.has(socket);
  }

  /** Open connections of one address (tests, diagnostics). */
  count(address: string): number {
    return this.open.get(address) ?? 0;
  }

  private admit(socket: Socket): void {
    const address = socket.remoteAddress;
    if (address === undefined || this.exempt(address)) return;
    const current = this.open.get(address) ?? 0;
    if (current >= this.maxPerAddress) {
      this.refused.add(socket);
      this.onRefused?.();
      socket.end(REFUSAL);
      socket.destroySoon();
      return;
    }
    this.open.set(address, current + 1);
    socket.once('close', () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left <= 0) this.open.delete(address);
      else this.open.set(address, left);
    });
  }
}
