/**
 * An undici Agent that connects only to addresses the AddressPolicy allows,
 * and only to the very addresses it vetted.
 *
 * For every new connection (undici calls `connect` once per socket; keep-alive
 * reuses a socket without calling it again):
 *
 * 1. An IP-literal host is vetted as it is (undici would not call a `lookup`
 *    for it). A name is resolved once, by this agent, and EVERY address is
 *    vetted: one non-public record refuses the whole name, so a name cannot
 *    mix a public decoy with an internal target.
 * 2. The socket is opened to a vetted IP address, never to the name, so a
 *    second resolution (DNS rebinding between check and connect) cannot
 *    happen. TLS still sends the original name as SNI and checks the
 *    certificate against it; the Host header comes from the request's origin
 *    as usual.
 * 3. After connecting, `socket.remoteAddress` is vetted again; a socket that
 *    ended up anywhere else is destroyed before a byte is written.
 *
 * There is no proxy support at all: this Agent never reads HTTP_PROXY,
 * HTTPS_PROXY or NO_PROXY, and takes no proxy option.
 *
 * Errors. A refusal is an `McpdError('PERMISSION_DENIED', 'Destination not
 * allowed: …')`. undici hands a connector's error to the request unchanged, so
 * `request()` / `dispatcher.request()` reject with that McpdError itself;
 * `fetch` wraps it as `TypeError('fetch failed', { cause })`. `ssrfRefusal`
 * finds it either way (the error, its `cause` chain, or an AggregateError's
 * members). Other connection failures keep their original `code`
 * (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_CONNECT_TIMEOUT`, TLS codes) for the
 * caller to map.
 */
import { errorChain, errorCode } from '../error-chain.js';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { Agent, buildConnector, errors as undiciErrors } from 'undici';
import { McpdError } from '../../../chassis/errors.js';
import type { AddressPolicy } from './address-policy.js';

export type Resolver = (hostname: string) => Promise<{ address: string; family: 4 | 6 }[]>;

export interface VettedAgentOptions {
  policy: AddressPolicy;
  /** Resolves a name to ALL its addresses (default: `systemResolver`, the OS resolver). */
  lookup?: Resolver;
  /** Budget for one connection: resolution, TCP and TLS of every address tried. */
  connectTimeoutMs: number;
  /**
   * Opens a socket to the vetted IP address it is given as `hostname`
   * (default: undici's `buildConnector`). Tests inject one to prove the
   * post-connect check.
   */
  connector?: buildConnector.connector;
  /** Other undici Agent options (pool sizes, keep-alive); `connect` is this module's. */
  agentOptions?: Omit<Agent.Options, 'connect'>;
}

/** The OS resolver (getaddrinfo: /etc/hosts, then DNS), every address in its order. */
export const systemResolver: Resolver = async (hostname) => {
  const records = await dnsLookup(hostname, { all: true });
  return records.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** Failures after which the next vetted address of the same name is worth a try. */
const TRY_NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ECONNRESET', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

const ignore = () => {};

function connectTimeout(host: string, ms: number): Error {
  return new undiciErrors.ConnectTimeoutError(`Connecting to ${host} timed out after ${ms} ms`);
}

function refused(message: string): McpdError {
  return new McpdError('PERMISSION_DENIED', `Destination not allowed: ${message}`);
}

/** The addresses a connection to `host` may use, every one of them vetted; rejects with a refusal otherwise. */
async function vettedAddresses(host: string, resolve: Resolver, policy: AddressPolicy, timeoutMs: number): Promise<string[]> {
  if (isIP(host) !== 0) {
    policy.check(host);
    return [host];
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(connectTimeout(host, timeoutMs)), timeoutMs);
  });
  let records: Awaited<ReturnType<Resolver>>;
  try {
    records = await Promise.race([resolve(host), deadline]);
  } finally {
    clearTimeout(timer);
  }
  const addresses = [...new Set(records.map((record) => record.address))];
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no addresses`), { code: 'ENOTFOUND' });
  for (const address of addresses) {
    // Names the host and the class, not the internal address itself.
    const reason = policy.refusal(address);
    if (reason !== undefined) throw refused(`${host} resolves to ${reason}`);
  }
  return addresses;
}

export function createVettedAgent(options: VettedAgentOptions): Agent {
  const { policy, connectTimeoutMs } = options;
  const resolve = options.lookup ?? systemResolver;
  const dial = options.connector ?? buildConnector({ timeout: connectTimeoutMs });

  const connect: buildConnector.connector = (target, callback) => {
    const started = Date.now();
    const host = target.hostname;
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    // SNI and certificate checks use the name (never an IP literal, never with a trailing dot).
    const servername = isIP(bare) === 0 ? target.servername || bare.replace(/\.$/, '') : undefined;
    let done = false;
    const finish = (error: Error | null, socket?: Socket) => {
      if (done) return void socket?.destroy();
      done = true;
      if (error) callback(error, null);
      else callback(null, socket!);
    };

    // Addresses are tried in the resolver's order; each gets an equal share of what is left of the budget,
    // so an unreachable first address (an IPv6 record without IPv6 routing) leaves time for the next.
    const dialInTurn = (addresses: string[], index: number): void => {
      const remaining = started + connectTimeoutMs - Date.now();
      if (remaining <= 0) return finish(connectTimeout(host, connectTimeoutMs));
      const address = addresses[index];
      const last = index === addresses.length - 1;
      let settled = false;
      let socket: Socket | undefined;
      const failed = (error: Error) => {
        if (last || !TRY_NEXT_ADDRESS.has(errorCode(error) ?? '')) finish(error);
        else dialInTurn(addresses, index + 1);
      };
      const timer = setTimeout(
        () => {
          if (settled) return;
          settled = true;
          const error = connectTimeout(host, connectTimeoutMs);
          socket?.on('error', ignore).destroy(error);
          failed(error);
        },
        Math.max(1, Math.floor(remaining / (addresses.length - index))),
      );
      const opened: buildConnector.Callback = (error, connected) => {
        if (settled) return void connected?.destroy();
        settled = true;
        clearTimeout(timer);
        if (error) return failed(error);
        const remote = connected.remoteAddress;
        if (remote === undefined) {
          connected.destroy();
          return failed(Object.assign(new Error(`The connection to ${host} closed while opening`), { code: 'ECONNRESET' }));
        }
        const reason = policy.refusal(remote);
        if (reason !== undefined) {
          connected.destroy();
          return finish(refused(`the connection to ${host} reached ${reason}`));
        }
        finish(null, connected);
      };
      // undici's connector returns its socket (typed void): kept to abort it when this address's share runs out.
      let returned: unknown;
      try {
        returned = (dial as (...args: Parameters<buildConnector.connector>) => unknown)({ ...target, hostname: address, servername }, opened);
      } catch (error) {
        if (!settled) opened(error instanceof Error ? error : new Error(String(error)), null);
        return;
      }
      if (returned && typeof (returned as Socket).destroy === 'function') socket = returned as Socket;
    };

    vettedAddresses(bare, resolve, policy, connectTimeoutMs).then(
      (addresses) => dialInTurn(addresses, 0),
      (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
    );
  };

  return new Agent({ ...options.agentOptions, connect });
}

/**
 * The destination refusal inside an error from undici (request, dispatcher
 * or fetch), if that is what it is: the error itself, something in its
 * `cause` chain, or a member of an AggregateError.
 */
export function ssrfRefusal(error: unknown): McpdError | undefined {
  return errorChain(error, 32).find((link): link is McpdError => link instanceof McpdError && link.code === 'PERMISSION_DENIED');
}
