/**
 * Integrity-protected `requestState` for 2026-07-28 multi-round-trip requests.
 *
 * The server is stateless between rounds, so whatever it must remember (the
 * input responses gathered so far, the request it belongs to) travels with the
 * client, sealed with HMAC-SHA256. A state that was altered, belongs to another
 * request, or has expired is refused.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface RequestStatePayload {
  /** The method and target (tool name, prompt name, resource URI) the state was issued for. */
  method: string;
  target: string;
  /** Input responses gathered in earlier rounds, by input request key. */
  responses: Record<string, unknown>;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
}

export class RequestStateCodec {
  private readonly secret: Buffer;

  constructor(
    secret: string | Buffer | undefined,
    private readonly ttlMs = 15 * 60_000,
  ) {
    this.secret = secret === undefined || secret.length === 0 ? randomBytes(32) : Buffer.from(secret);
  }

  seal(method: string, target: string, responses: Record<string, unknown>): string {
    const payload: RequestStatePayload = { method, target, responses, expiresAt: Date.now() + this.ttlMs };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The payload, or undefined when the token is malformed, tampered with, misdirected or expired. */
  open(token: unknown, method: string, target: string): RequestStatePayload | undefined {
    if (typeof token !== 'string' || token.length > 1_000_000) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    // Compare the signature text itself: decoding first would accept other spellings of the same bytes.
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.sign(body));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let payload: RequestStatePayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as RequestStatePayload;
    } catch {
      return undefined;
    }
    if (payload.method !== method || payload.target !== target) return undefined;
    if (!(payload.expiresAt > Date.now())) return undefined;
    if (typeof payload.responses !== 'object' || payload.responses === null) return undefined;
    return payload;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
