/**
 * Host patterns of the operator's lists and per-host settings:
 * `api.example.com` (exactly that host) or `*.example.com` (any name below
 * example.com, at any depth, but not example.com itself). Case and a trailing
 * dot do not matter; IPv6 literals are written as URLs show them (`[::1]`).
 */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

export function hostMatches(pattern: string, hostname: string): boolean {
  const host = normalizeHost(hostname);
  const wanted = normalizeHost(pattern);
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1)) && host.length > wanted.length - 1;
  return host === wanted;
}
