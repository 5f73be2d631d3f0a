/**
 * The caller's address: the socket's peer, or — only when that peer is a
 * configured trusted proxy — the right-most address in X-Forwarded-For that is
 * not itself a trusted proxy. A client cannot dodge per-address limits by
 * forging the header: from an untrusted peer it is ignored.
 */
import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';

export type TrustedProxies = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

export function parseTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  return cidrs.map((cidr) => (cidr.includes('/') ? ipaddr.parseCIDR(cidr) : ([ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])));
}

function normalize(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

function isTrusted(address: ipaddr.IPv4 | ipaddr.IPv6, proxies: TrustedProxies): boolean {
  return proxies.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
}

export function clientAddress(req: IncomingMessage, proxies: TrustedProxies): string | undefined {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return undefined;
  const parsedPeer = normalize(peer);
  if (!parsedPeer || proxies.length === 0 || !isTrusted(parsedPeer, proxies)) return parsedPeer?.toString() ?? peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!);
    if (!hop) return parsedPeer.toString();
    if (!isTrusted(hop, proxies)) return hop.toString();
  }
  return parsedPeer.toString();
}

/** Whether a socket peer address is one of the trusted proxies. */
export function isTrustedPeer(address: string, proxies: TrustedProxies): boolean {
  const parsed = proxies.length === 0 ? undefined : normalize(address);
  return parsed !== undefined && isTrusted(parsed, proxies);
}
