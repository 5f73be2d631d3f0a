/**
 * Cache keys: `<prefix>:<namespace>:<sha256 of the canonical JSON of the key
 * material>`. Hashing keeps SQL text, URLs, parameters and identities out of
 * Redis keys (`KEYS`/`MONITOR` show nothing) and bounds every key's length;
 * canonical JSON (sorted object keys, no loose ends) makes equal material give
 * equal keys and different material different ones.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '../../api/types.js';
import type { CacheKey } from './result-cache.js';

const NAMESPACE = /^[a-z][a-z0-9_-]{0,31}$/;

export function checkNamespace(namespace: string): string {
  if (!NAMESPACE.test(namespace)) throw new TypeError(`Invalid cache namespace ${JSON.stringify(namespace)}: lower-case letters, digits, _ and -, at most 32`);
  return namespace;
}

/**
 * JSON with object keys sorted at every depth. Anything JSON.stringify would
 * silently turn into `null` or drop (undefined in an array, NaN, bigint,
 * functions) is refused instead: two different inputs must never share a key.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`Cache key material cannot hold the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const withJson = value as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === 'function') return canonicalJson(withJson.toJSON());
      const proto = Object.getPrototypeOf(value);
      // A Map or class instance has no JSON form of its own: every one would look like `{}`.
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`Cache key material cannot hold a ${proto?.constructor?.name ?? 'non-plain object'}`);
      const fields: string[] = [];
      for (const name of Object.keys(value).sort()) {
        const field = (value as Record<string, unknown>)[name];
        if (field !== undefined) fields.push(`${JSON.stringify(name)}:${canonicalJson(field)}`);
      }
      return `{${fields.join(',')}}`;
    }
    default:
      throw new TypeError(`Cache key material cannot hold a ${typeof value}`);
  }
}

/**
 * Who the result belongs to. Scopes are part of it (a result is never served
 * under wider or narrower grants than it was computed with), and so is a JWT's
 * issuer: a subject is only unique within its issuer.
 */
export function identityMaterial(identity: Identity | undefined): unknown {
  if (!identity) return null;
  const issuer = identity.claims?.iss;
  return { method: identity.method, subject: identity.subject, issuer: typeof issuer === 'string' ? issuer : undefined, scopes: [...identity.scopes].sort() };
}

export function storeKey(prefix: string, namespace: string, key: CacheKey): string {
  const digest = createHash('sha256').update(canonicalJson([identityMaterial(key.identity), ...key.parts])).digest('hex');
  return `${prefix}:${namespace}:${digest}`;
}
