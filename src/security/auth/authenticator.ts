/**
 * HTTP authentication for the MCP endpoints, acting as an OAuth 2.1 resource
 * server: credentials come only from headers (a token in the query string is
 * refused), every 401 carries `WWW-Authenticate: Bearer resource_metadata=…`
 * pointing at the RFC 9728 protected-resource metadata, and a caller lacking a
 * scope gets 403 `error="insufficient_scope"`. The token is never forwarded.
 */
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../../api/types.js';
import { ApiKeyVerifier, type ApiKeyEntry } from './api-keys.js';
import { JwtVerifier } from './jwt.js';

export type AuthOutcome =
  | { ok: true; identity: Identity }
  | { ok: false; status: 400 | 401; headers: Record<string, string>; message: string };

export interface AuthSettings {
  mode: 'apiKey' | 'jwt';
  apiKeys: readonly ApiKeyEntry[];
  /**
   * This server's resource URI (the JWT audience, the metadata's `resource`);
   * a function, because with port 0 it is known only once listening.
   */
  resource: () => string;
  /** Its path (decides the metadata path, RFC 9728), known before listening. */
  resourcePath: string;
  authorizationServers: readonly string[];
  scopesSupported: readonly string[];
  jwt: {
    jwksUrl?: string;
    publicKeys: readonly string[];
    issuer?: string;
    audience?: string;
    algorithms: readonly string[];
    clockToleranceSec: number;
    jwksCooldownMs: number;
    cacheTtlMs?: number;
    cacheMaxEntries?: number;
  };
}

const QUERY_CREDENTIALS = /[?&](access_token|token|api_key|apikey|key)=/i;

const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

export class Authenticator {
  private readonly apiKeys: ApiKeyVerifier | undefined;
  private readonly jwt: JwtVerifier | undefined;
  /** RFC 9728: the metadata lives at /.well-known/oauth-protected-resource + the resource's path. */
  readonly metadataPath: string;

  constructor(readonly settings: AuthSettings) {
    this.metadataPath = `/.well-known/oauth-protected-resource${settings.resourcePath === '/' ? '' : settings.resourcePath}`;
    if (settings.mode === 'apiKey') this.apiKeys = new ApiKeyVerifier(settings.apiKeys);
    else this.jwt = new JwtVerifier({ ...settings.jwt, audience: () => settings.jwt.audience ?? settings.resource() });
  }

  get metadataUrl(): string {
    return `${new URL(this.settings.resource()).origin}${this.metadataPath}`;
  }

  async ready(): Promise<void> {
    await this.jwt?.ready();
  }

  /** The RFC 9728 protected-resource metadata document. */
  metadata(): Record<string, unknown> {
    const document: Record<string, unknown> = { resource: this.settings.resource(), bearer_methods_supported: ['header'] };
    if (this.settings.authorizationServers.length) document.authorization_servers = this.settings.authorizationServers;
    if (this.settings.scopesSupported.length) document.scopes_supported = this.settings.scopesSupported;
    return document;
  }

  /** A `WWW-Authenticate` value: the metadata pointer, plus an error and the scopes when known. */
  challenge(error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope', scopes?: readonly string[]): string {
    let value = `Bearer resource_metadata=${quote(this.metadataUrl)}`;
    const scope = scopes?.length ? scopes : this.settings.scopesSupported;
    if (scope.length) value += `, scope=${quote(scope.join(' '))}`;
    if (error) value += `, error=${quote(error)}`;
    return value;
  }

  private refuse(status: 400 | 401, message: string, error?: 'invalid_request' | 'invalid_token'): AuthOutcome {
    return { ok: false, status, message, headers: { 'www-authenticate': this.challenge(error) } };
  }

  authenticate(req: IncomingMessage): AuthOutcome | Promise<AuthOutcome> {
    if (req.url && QUERY_CREDENTIALS.test(req.url)) {
      return this.refuse(400, 'Credentials in the query string are refused; send them in the Authorization header', 'invalid_request');
    }
    const authorization = req.headers.authorization;
    let credential: string | undefined;
    if (authorization !== undefined) {
      const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
      if (!match) return this.refuse(401, 'Authorization must be a Bearer credential', 'invalid_request');
      credential = match[1];
    } else if (this.apiKeys) {
      const header = req.headers['x-api-key'];
      credential = Array.isArray(header) ? header[0] : header;
    }
    if (!credential) return this.refuse(401, 'Authentication required');
    const verified = this.verifyCredential(credential);
    return verified instanceof Promise ? verified.then(this.outcomeOf) : this.outcomeOf(verified);
  }

  /** Bound once: the request path allocates no closure per credential. */
  private readonly outcomeOf = (identity: Identity | undefined): AuthOutcome =>
    identity ? { ok: true, identity } : this.refuse(401, this.apiKeys ? 'Invalid credential' : 'Invalid or expired token', 'invalid_token');

  /** The identity a bare credential (API key or JWT, per the mode) stands for; also used for the stdio token. */
  verifyCredential(credential: string): Identity | undefined | Promise<Identity | undefined> {
    return this.apiKeys ? this.apiKeys.verify(credential) : this.jwt!.verify(credential);
  }
}

export { hasScopes } from '../../protocol/scopes.js';
