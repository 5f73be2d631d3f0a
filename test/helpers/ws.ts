/**
 * A raw WebSocket JSON-RPC peer (the `ws` package, subprotocol `mcp`): sends
 * frames as given and keeps every frame received, so tests can answer
 * server-to-client requests by the id the server chose.
 */
import WebSocket from 'ws';

export class WsPeer {
  readonly received: any[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens a socket; rejects with `statusCode` when the upgrade is refused. */
  static open(url: string, options: WebSocket.ClientOptions = {}, protocol: string | string[] = 'mcp'): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocol, { handshakeTimeout: 5_000, ...options });
      ws.once('open', () => resolve(new WsPeer(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(Object.assign(new Error(`unexpected response ${res.statusCode}`), { statusCode: res.statusCode }));
      });
    });
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', ...message }));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** The first received frame matching `predicate` (already received or arriving within the timeout). */
  async next(predicate: (message: any) => boolean, timeoutMs = 5_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching WebSocket message; received: ${JSON.stringify(this.received).slice(0, 2_000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` received frames match `predicate`; returns them. */
  async count(predicate: (message: any) => boolean, count: number, timeoutMs = 5_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter(predicate);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} matching WebSocket messages, got ${found.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The response (result or error) to the request `id`. */
  response(id: number | string, timeoutMs = 5_000): Promise<any> {
    return this.next((message) => message.id === id && ('result' in message || 'error' in message) && !('method' in message), timeoutMs);
  }

  request(id: number | string, method: string, params?: Record<string, unknown>): Promise<any> {
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.response(id);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2_000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }
}
