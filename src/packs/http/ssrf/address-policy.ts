/**
 * Which IP addresses an outbound request may reach: public unicast only,
 * unless the operator lists a non-public range in `allowPrivateNetworks`.
 *
 * Classification is ipaddr.js's `range()` (its special-purpose registry for
 * IPv4 and IPv6), with two gaps closed using ipaddr.js ranges as well:
 * IPv4-compatible IPv6 (`::a.b.c.d`, deprecated; ipaddr.js calls it unicast)
 * and IPv6 outside 2000::/3, the only block IANA allocates for global unicast.
 * IPv6 forms that carry an IPv4 address (mapped, compatible, translated,
 * NAT64, 6to4, Teredo) are never public unicast themselves; their reasons name
 * the embedded IPv4 address and its class, and an IPv4-mapped address is the
 * same destination as its IPv4 address, so an allowed IPv4 range covers it.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { McpdError } from '../../../chassis/errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

const PUBLIC = 'unicast';
const IPV4_COMPATIBLE: Range = ipaddr.parseCIDR('::/96');
const GLOBAL_UNICAST_V6: Range = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN: Range = ipaddr.parseCIDR('64:ff9b::/96');

/** How a reason names each class ("a loopback address"); unknown names fall back to `a <name> address`. */
const DESCRIPTIONS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
  as112: 'an AS112 anycast address',
  as112v6: 'an AS112 anycast address',
  amt: 'an AMT relay address',
  uniqueLocal: 'a unique-local address',
  deprecatedSiteLocal: 'a site-local address',
  discard: 'a discard-only address',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address',
  rfc6145: 'an IPv4-translated IPv6 address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  deprecatedOrchid: 'an ORCHID address',
  orchid2: 'an ORCHIDv2 address',
  droneRemoteIdProtocolEntityTags: 'a DRIP entity tag address',
  segmentRouting: 'a segment routing address',
};

function describe(range: string): string {
  return DESCRIPTIONS[range] ?? `a ${range} address`;
}

/** The address without brackets or an IPv6 zone id (`fe80::1%eth0`), or undefined when it is not an IP address. */
function parseIp(ip: string): Address | undefined {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  // net.isIP accepts only the canonical dotted-quad and IPv6 forms, unlike ipaddr.parse (`127.1`, `0x7f.1`).
  const version = isIP(text);
  if (version === 0) return undefined;
  // ipaddr.js reads `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`); it is IPv4-compatible (`::a.b:c.d`), the form
  // libuv prints for such an address. The WHATWG IPv6 parser spells any dotted tail in hex first.
  if (version === 6 && text.includes('.')) text = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return ipaddr.parse(text);
}

function rangeOf(address: Address): string {
  const range = address.range();
  if (range !== PUBLIC || address.kind() === 'ipv4') return range;
  const v6 = address as ipaddr.IPv6;
  if (v6.match(IPV4_COMPATIBLE)) return 'ipv4Compatible';
  if (!v6.match(GLOBAL_UNICAST_V6)) return 'reserved';
  return range;
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that route to it:
 * mapped, compatible, translated and NAT64 (last 32 bits), 6to4 (bits 16–47)
 * and Teredo (the client address, stored inverted in the last 32 bits).
 */
function embedded(address: Address): ipaddr.IPv4 | undefined {
  if (address.kind() === 'ipv4') return undefined;
  const parts = (address as ipaddr.IPv6).parts;
  switch (rangeOf(address)) {
    case 'ipv4Mapped':
    case 'ipv4Compatible':
    case 'rfc6145':
      return ipv4FromParts(parts[6], parts[7]);
    case 'rfc6052':
      return address.match(NAT64_WELL_KNOWN) ? ipv4FromParts(parts[6], parts[7]) : undefined;
    case '6to4':
      return ipv4FromParts(parts[1], parts[2]);
    case 'teredo':
      return ipv4FromParts(parts[6] ^ 0xffff, parts[7] ^ 0xffff);
    default:
      return undefined;
  }
}

/**
 * The class of an address as ipaddr.js names it (`loopback`, `private`,
 * `linkLocal`, `ipv4Mapped`, `rfc6052`, `6to4`, `teredo`, …), plus
 * `ipv4Compatible` and `reserved` for IPv6 outside 2000::/3; `unicast` means
 * public. Brackets and zone ids are ignored. Throws on anything that is not an
 * IP address.
 */
export function classify(ip: string): string {
  const address = parseIp(ip);
  if (!address) throw new McpdError('VALIDATION_ERROR', `${JSON.stringify(ip)} is not an IP address`);
  return rangeOf(address);
}

/** The IPv4 address embedded in an IPv6 form that carries one (`::ffff:7f00:1` → `127.0.0.1`), if any. */
export function embeddedIPv4(ip: string): string | undefined {
  const address = parseIp(ip);
  return address ? embedded(address)?.toString() : undefined;
}

function parseNetwork(cidr: string): Range {
  const [ip, bits, ...rest] = cidr.trim().split('/');
  const address = parseIp(ip);
  if (address && rest.length === 0) {
    const max = address.kind() === 'ipv4' ? 32 : 128;
    if (bits === undefined) return [address, max];
    if (/^\d{1,3}$/.test(bits) && Number(bits) <= max) return [address, Number(bits)];
  }
  throw new McpdError('VALIDATION_ERROR', `allowPrivateNetworks: ${JSON.stringify(cidr)} is not a CIDR range (e.g. 10.1.2.0/24, fd00::/8)`);
}

/** Verdicts kept per policy: a host's addresses repeat on every call, and classifying one costs ~2 µs (ipaddr.js parse, ranges). */
const MAX_REMEMBERED = 1024;

export class AddressPolicy {
  private readonly networks: Range[];
  /** The address text → its refusal ('' when allowed); cleared whole when full (the policy never changes). */
  private readonly verdicts = new Map<string, string>();

  /** `allowPrivateNetworks`: CIDR ranges (a bare address is a single host) that may be reached although not public. */
  constructor(allowPrivateNetworks: readonly string[]) {
    this.networks = allowPrivateNetworks.map(parseNetwork);
  }

  /**
   * Why the address may not be reached, as a phrase ("a loopback address",
   * "an IPv4-mapped IPv6 address (embedding 127.0.0.1, a loopback address)"),
   * or undefined when it may.
   */
  refusal(ip: string): string | undefined {
    let verdict = this.verdicts.get(ip);
    if (verdict === undefined) {
      verdict = this.judge(ip) ?? '';
      if (this.verdicts.size >= MAX_REMEMBERED) this.verdicts.clear();
      this.verdicts.set(ip, verdict);
    }
    return verdict === '' ? undefined : verdict;
  }

  private judge(ip: string): string | undefined {
    const address = parseIp(ip);
    if (!address) return 'not an IP address';
    const range = rangeOf(address);
    if (range === PUBLIC) return undefined;
    if (this.allows(address)) return undefined;
    const inner = embedded(address);
    if (inner && range === 'ipv4Mapped' && this.allows(inner)) return undefined;
    if (!inner) return describe(range);
    const innerRange = rangeOf(inner);
    return `${describe(range)} (embedding ${inner.toString()}${innerRange === PUBLIC ? '' : `, ${describe(innerRange)}`})`;
  }

  isAllowed(ip: string): boolean {
    return this.refusal(ip) === undefined;
  }

  /** Throws PERMISSION_DENIED ("Destination not allowed: 127.0.0.1 is a loopback address") unless the address may be reached. */
  check(ip: string): void {
    const reason = this.refusal(ip);
    if (reason === undefined) return;
    throw new McpdError('PERMISSION_DENIED', `Destination not allowed: ${ip} is ${reason}`);
  }

  private allows(address: Address): boolean {
    return this.networks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  }
}
