/**
 * JWT bearer tokens, verified with jose: signature by a key from a JWKS URL
 * (cached, refetched on an unknown `kid` at most once per cooldown) or from
 * static keys; pinned asymmetric algorithms only (no `none`, no HMAC, so an RSA
 * public key can never be used as an HMAC secret); issuer, audience (this
 * server's resource URI) and expiry with bounded clock skew.
 */
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyGetKey, type KeyObject } from 'jose';
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
}

export class JwtVerifier {
  private readonly keys: Promise<(JWTVerifyGetKey | KeyObject | CryptoKey)[]>;

  constructor(private readonly settings: JwtSettings) {
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
  async verify(token: string): Promise<Identity | undefined> {
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
