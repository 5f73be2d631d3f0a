/**
 * API keys: only their SHA-256 is configured. A presented key is hashed and
 * compared with every configured hash in constant time (no early exit, so the
 * time taken says nothing about which key, or how much of one, matched).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Identity } from '../../api/types.js';

export interface ApiKeyEntry {
  name: string;
  sha256: string;
  scopes: readonly string[];
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new random key and its configuration entry. */
export function createApiKey(name: string, scopes: readonly string[]): { key: string; entry: ApiKeyEntry } {
  const key = `mcpd_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { name, sha256: hashApiKey(key), scopes: [...scopes] } };
}

export class ApiKeyVerifier {
  private readonly entries: { digest: Buffer; identity: Identity }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map((entry) => ({
      digest: Buffer.from(entry.sha256, 'hex'),
      identity: Object.freeze({ subject: entry.name, scopes: Object.freeze([...entry.scopes]), method: 'api-key' }),
    }));
  }

  verify(key: string): Identity | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Identity | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest) && found === undefined) found = entry.identity;
    }
    return found;
  }
}
