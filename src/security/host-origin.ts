/**
 * DNS-rebinding protection: a page on evil.example that resolves its name to
 * 127.0.0.1 must not reach a local server. Requests are refused unless their
 * `Host` names an allowed host and their `Origin` (when a browser sent one) is
 * an allowed origin. On by default whenever the server binds a loopback address.
 */

export interface HostOriginPolicy {
  /** Allowed host names (without port), lower-case. Empty: any host. */
  allowedHosts: ReadonlySet<string>;
  /** Allowed origins (`scheme://host[:port]`), lower-case. Loopback origins are always allowed for loopback binds. */
  allowedOrigins: ReadonlySet<string>;
  /** Accept any origin whose host is an allowed host (loopback binds). */
  allowOriginsOfAllowedHosts: boolean;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

export function isLoopbackAddress(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * For binds that are not loopback (0.0.0.0, a LAN address): the host names are
 * not known, so any Host passes, but a browser Origin must be explicitly allowed.
 * Non-browser clients send no Origin and are unaffected.
 */
export function publicBindPolicy(allowedOrigins: readonly string[] = []): HostOriginPolicy {
  return {
    allowedHosts: new Set(),
    allowedOrigins: new Set(allowedOrigins.map((origin) => origin.toLowerCase())),
    allowOriginsOfAllowedHosts: false,
  };
}

export function loopbackPolicy(extraHosts: readonly string[] = [], extraOrigins: readonly string[] = []): HostOriginPolicy {
  return {
    allowedHosts: new Set([...LOOPBACK_HOSTS, ...extraHosts.map((host) => host.toLowerCase())]),
    allowedOrigins: new Set(extraOrigins.map((origin) => origin.toLowerCase())),
    allowOriginsOfAllowedHosts: true,
  };
}

/** Strips the port from a Host header value (`[::1]:3000` → `[::1]`). */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(0, end + 1);
  }
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

export type HostOriginVerdict = { ok: true } | { ok: false; reason: string };

export function checkHostOrigin(policy: HostOriginPolicy, host: string | undefined, origin: string | undefined): HostOriginVerdict {
  if (policy.allowedHosts.size > 0) {
    if (!host) return { ok: false, reason: 'Missing Host header' };
    if (!policy.allowedHosts.has(hostnameOf(host))) return { ok: false, reason: `Invalid Host: ${host}` };
  }
  if (origin === undefined) return { ok: true };
  const normalized = origin.trim().toLowerCase();
  if (policy.allowedOrigins.has(normalized)) return { ok: true };
  if (policy.allowOriginsOfAllowedHosts) {
    try {
      const url = new URL(normalized);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && policy.allowedHosts.has(url.hostname)) return { ok: true };
    } catch {
      return { ok: false, reason: `Invalid Origin: ${origin}` };
    }
  }
  return { ok: false, reason: `Invalid Origin: ${origin}` };
}
