/**
 * JWT bearer tokens, verified with jose: signature by a key from a JWKS URL
 * (cached, refetched on an unknown `kid` at most once per cooldown) or from
 * static keys; pinned asymmetric algorithms only (no `none`, no HMAC, so an RSA
 * public key can never be used as an HMAC secret); issuer, audience (this
 * server's resource URI) and expiry with bounded clock skew.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyGetKey, type KeyObject } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Identity } from '../../api/types.js';

export interface JwtSettings {
  jwksUrl?: string;
  publicKeys: readonly string[];
  issuer?: string;
  /** Read at each verification (the resource URI may be known only after listening). */
  audience: () => string;
  algorithms: readonly string[];
  clockToleranceSec: number;
  jwksCooldownMs: number;
  /** Verified tokens remembered (by digest) until they expire or for at most this long; 0 disables. */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
}

export class JwtVerifier {
  private readonly keys: Promise<(JWTVerifyGetKey | KeyObject | CryptoKey)[]>;
  /**
   * Signature checks cost far more than serving an echo request, and a client
   * sends the same token with every request: a verified token is remembered by
   * its SHA-256 until its `exp` (never past it, so expiry stays exact) or the
   * cache TTL, whichever comes first. Invalid tokens are never cached.
   */
  private readonly verified: LRUCache<string, { identity: Identity; expiresAt: number }> | undefined;

  constructor(private readonly settings: JwtSettings) {
    const ttl = settings.cacheTtlMs ?? 60_000;
    this.verified = ttl > 0 ? new LRUCache({ max: settings.cacheMaxEntries ?? 10_000, ttl }) : undefined;
    this.keys = (async () => {
      const keys: (JWTVerifyGetKey | KeyObject | CryptoKey)[] = [];
      if (settings.jwksUrl) {
        keys.push(createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: settings.jwksCooldownMs, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 }));
      }
      for (const pem of settings.publicKeys) {
        if (pem.trim().startsWith('{')) {
          keys.push(createLocalJWKSet({ keys: [JSON.parse(pem)] }));
          continue;
        }
        // The first pinned algorithm that accepts the key's type.
        let imported: CryptoKey | KeyObject | undefined;
        for (const algorithm of settings.algorithms) {
          try {
            imported = await importSPKI(pem, algorithm);
            break;
          } catch {
            // not this algorithm's key type
          }
        }
        if (!imported) throw new Error('auth.jwt.publicKeys: a key matches none of the allowed algorithms');
        keys.push(imported);
      }
      if (keys.length === 0) throw new Error('auth.mode jwt needs auth.jwt.jwksUrl or auth.jwt.publicKeys');
      return keys;
    })();
    this.keys.catch(() => {});
  }

  /** Resolves when the static keys are imported (start-up check). */
  async ready(): Promise<void> {
    await this.keys;
  }

  /** The identity, or undefined for any invalid token (the reason is not the caller's business). */
  /** Synchronous when the token was verified before (the common case), so the request path stays promise-free. */
  verify(token: string): Identity | undefined | Promise<Identity | undefined> {
    const cache = this.verified;
    if (!cache) return this.verifySignature(token);
    const digest = createHash('sha256').update(token).digest('base64');
    const cached = cache.get(digest);
    if (cached) {
      if (Date.now() < cached.expiresAt) return cached.identity;
      cache.delete(digest);
    }
    return this.verifySignature(token).then((identity) => {
      const exp = identity?.claims?.exp;
      if (identity && typeof exp === 'number') cache.set(digest, { identity, expiresAt: exp * 1000 });
      return identity;
    });
  }

  private async verifySignature(token: string): Promise<Identity | undefined> {
    const options = {
      algorithms: [...this.settings.algorithms],
      audience: this.settings.audience(),
      clockTolerance: this.settings.clockToleranceSec,
      requiredClaims: ['exp', 'sub'],
      ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
    };
    for (const key of await this.keys) {
      try {
        const { payload } =
          typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key as CryptoKey, options);
        const scopeClaim = payload.scope ?? payload.scp;
        const scopes = typeof scopeClaim === 'string' ? scopeClaim.split(' ').filter(Boolean) : Array.isArray(scopeClaim) ? scopeClaim.map(String) : [];
        return Object.freeze({ subject: String(payload.sub), scopes: Object.freeze(scopes), method: 'jwt', claims: Object.freeze({ ...payload }) });
      } catch {
        // try the next key source
      }
    }
    return undefined;
  }
}
