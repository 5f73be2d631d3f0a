/**
 * What a URL may name before anything is resolved or dialled: http or https,
 * no credentials, an allowed port, a host the operator's lists allow. Checked
 * for the first URL and again for every redirect hop.
 *
 * The URL must come from the WHATWG parser (`new URL`), which already turns
 * every IPv4 spelling (`2130706433`, `0x7f.1`, `017700000001`, `127.1`,
 * full-width digits, percent-escapes) into dotted-quad and brackets IPv6
 * literals in their compressed form (`[::ffff:7f00:1]`); what the host
 * resolves to is the vetted agent's business (vetted-agent.ts).
 */
import { isIP } from 'node:net';
import { McpdError } from '../../../chassis/errors.js';
import { hostMatches, normalizeHost } from '../host-pattern.js';
import type { AddressPolicy } from './address-policy.js';

export interface UrlPolicySettings {
  /** Host patterns that may be reached (`api.example.com`, `*.example.com`); empty: any host. */
  allowHosts: readonly string[];
  /** Host patterns never reached; wins over allowHosts. */
  denyHosts: readonly string[];
  /** Destination ports allowed (the scheme's default port counts when the URL gives none). */
  allowedPorts: readonly number[];
}

const SCHEMES = new Set(['http:', 'https:']);
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * A pattern as the URL parser would spell its host, so that `2130706433`,
 * `::1` or `[0:0:0:0:0:0:0:1]` in a list match the URL's `127.0.0.1` and
 * `[::1]`. Wildcards and anything the parser refuses stay as written.
 */
function canonicalPattern(pattern: string): string {
  const text = normalizeHost(pattern.trim());
  if (text.startsWith('*.')) return text;
  try {
    const host = new URL(`http://${isIP(text) === 6 ? `[${text}]` : text}/`).hostname;
    return host || text;
  } catch {
    return text;
  }
}

export class UrlPolicy {
  private readonly allowHosts: string[];
  private readonly denyHosts: string[];
  private readonly ports: ReadonlySet<number>;

  /**
   * With an `addresses` policy, a host written as an IP literal is vetted
   * here already (a clearer, earlier refusal); the vetted agent vets it again
   * at connect time either way.
   */
  constructor(
    settings: UrlPolicySettings,
    private readonly addresses?: AddressPolicy,
  ) {
    this.allowHosts = settings.allowHosts.map(canonicalPattern);
    this.denyHosts = settings.denyHosts.map(canonicalPattern);
    this.ports = new Set(settings.allowedPorts);
  }

  /** Throws VALIDATION_ERROR (scheme, credentials, no host) or PERMISSION_DENIED (port, host lists, IP literal) unless the URL may be requested. */
  check(url: URL): void {
    if (!SCHEMES.has(url.protocol)) {
      throw new McpdError('VALIDATION_ERROR', `Only http and https URLs are allowed, not ${url.protocol}`);
    }
    if (url.username !== '' || url.password !== '') {
      throw new McpdError('VALIDATION_ERROR', 'URLs may not carry credentials (user:password@); credentials belong in the server configuration for the host');
    }
    const host = normalizeHost(url.hostname);
    if (host === '') throw new McpdError('VALIDATION_ERROR', 'The URL has no host');
    const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
    if (!this.ports.has(port)) {
      throw new McpdError('PERMISSION_DENIED', `Destination not allowed: port ${port} is not allowed (allowed: ${[...this.ports].join(', ')})`);
    }
    if (this.denyHosts.some((pattern) => hostMatches(pattern, host))) {
      throw new McpdError('PERMISSION_DENIED', `Destination not allowed: the host ${host} is denied by the server configuration`);
    }
    if (this.allowHosts.length > 0 && !this.allowHosts.some((pattern) => hostMatches(pattern, host))) {
      throw new McpdError('PERMISSION_DENIED', `Destination not allowed: the host ${host} is not among the allowed hosts`);
    }
    if (this.addresses) {
      const literal = host.startsWith('[') ? host.slice(1, -1) : host;
      if (isIP(literal) !== 0) this.addresses.check(literal);
    }
  }
}
