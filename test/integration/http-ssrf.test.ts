/**
 * SSRF: every known way of pointing an outbound request at this machine, its
 * networks or a cloud metadata service is refused before a connection is
 * opened — with the default (blocking) configuration, against live recording
 * servers on 127.0.0.1 and ::1 whose connection count must stay 0.
 *
 * Each case is a data row (name, url, resolver?, settings?, expectation) and
 * runs through every driver in DRIVERS; a driver is one way of sending a URL
 * (today: UrlPolicy + the vetted undici agent; later: redirects and the
 * http_request tool). `{port}` in a URL is the recording servers' port, which
 * the configuration allows, so that the address check is what must refuse.
 * Loopback only: names resolve through an injected Resolver, never through DNS
 * (except `localhost`, which the OS answers from /etc/hosts).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { request } from 'undici';
import { McpdError, type ErrorCode } from '../../src/chassis/errors.js';
import { httpRequestsSection, type HttpRequestsSettings } from '../../src/packs/http/settings.js';
import { AddressPolicy } from '../../src/packs/http/ssrf/address-policy.js';
import { UrlPolicy } from '../../src/packs/http/ssrf/url-policy.js';
import { createVettedAgent, ssrfRefusal, type Resolver } from '../../src/packs/http/ssrf/vetted-agent.js';
import { startRecordingServers, type RecordingServers } from '../helpers/recording-server.js';

const T = { timeout: 10_000 } as const;

type SsrfSettings = Pick<HttpRequestsSettings, 'allowHosts' | 'denyHosts' | 'allowedPorts' | 'allowPrivateNetworks' | 'connectTimeoutMs'>;

interface Refused {
  code: ErrorCode;
  message?: RegExp;
}
interface Reached {
  /** The recording server that must get the one connection. */
  reached: 'v4' | 'v6';
  /** The Host header it must see. */
  host?: string;
}

interface Row {
  name: string;
  /** `{port}` is replaced by the recording servers' port. */
  url: string;
  /** A fresh resolver per run (it may keep state, like a rebinding one); default: the OS resolver. */
  lookup?: () => Resolver;
  /** Changes to the default configuration. */
  settings?: Partial<SsrfSettings>;
  expect: Refused | Reached;
}

type Outcome = { status: number; body: string } | { error: McpdError };

interface DriverContext {
  servers: RecordingServers;
  settings: SsrfSettings;
  lookup: Resolver | undefined;
}

interface Driver {
  name: string;
  send(url: string, ctx: DriverContext): Promise<Outcome>;
}

/** An injected resolver answering every name with these addresses, counting its calls. */
function resolves(...answers: string[][]): () => Resolver & { calls: number } {
  return () => {
    let calls = 0;
    const resolve = async () => {
      const addresses = answers[Math.min(calls++, answers.length - 1)];
      return addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
    };
    return Object.defineProperty(resolve, 'calls', { get: () => calls }) as unknown as Resolver & { calls: number };
  };
}

/** What a caller makes of a failure: the refusal when there is one, the McpdError, or UPSTREAM_ERROR naming the code. */
function asMcpdError(error: unknown): McpdError {
  const refusal = ssrfRefusal(error);
  if (refusal) return refusal;
  if (error instanceof McpdError) return error;
  const code = (error as { code?: string }).code ?? 'unknown';
  return new McpdError('UPSTREAM_ERROR', `${code}: ${(error as Error).message}`);
}

const DRIVERS: Driver[] = [
  {
    name: 'UrlPolicy + vetted agent + undici request',
    async send(url, { settings, lookup }) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return { error: new McpdError('VALIDATION_ERROR', 'url is not a valid absolute URL') };
      }
      const agent = createVettedAgent({ policy: new AddressPolicy(settings.allowPrivateNetworks), lookup, connectTimeoutMs: settings.connectTimeoutMs });
      try {
        new UrlPolicy(settings).check(target);
        const response = await request(target, { dispatcher: agent });
        return { status: response.statusCode, body: await response.body.text() };
      } catch (error) {
        return { error: asMcpdError(error) };
      } finally {
        await agent.close();
      }
    },
  },
];

/** A refusal of the destination; every such message starts with 'Destination not allowed: '. */
const denied = (message: RegExp): Refused => ({ code: 'PERMISSION_DENIED', message: new RegExp(`^Destination not allowed: .*${message.source}`) });
const invalid = (message: RegExp): Refused => ({ code: 'VALIDATION_ERROR', message });
const LOOPBACK = denied(/127\.0\.0\.1 is a loopback address$/);
const ALLOW_LOOPBACK: Partial<SsrfSettings> = { allowPrivateNetworks: ['127.0.0.1/32'] };

const ROWS: Row[] = [
  // IPv4 loopback, however it is spelled (the URL parser turns each into 127.0.0.1)
  { name: 'loopback 127.0.0.1', url: 'http://127.0.0.1:{port}/', expect: LOOPBACK },
  { name: 'loopback as a decimal integer', url: 'http://2130706433:{port}/', expect: LOOPBACK },
  { name: 'loopback as hex', url: 'http://0x7f000001:{port}/', expect: LOOPBACK },
  { name: 'loopback as octal', url: 'http://017700000001:{port}/', expect: LOOPBACK },
  { name: 'loopback short form 127.1', url: 'http://127.1:{port}/', expect: LOOPBACK },
  { name: 'loopback mixed hex short form 0x7f.1', url: 'http://0x7f.1:{port}/', expect: LOOPBACK },
  { name: 'loopback dotted octal 0177.0.0.01', url: 'http://0177.0.0.01:{port}/', expect: LOOPBACK },
  { name: 'loopback with a trailing dot', url: 'http://127.0.0.1.:{port}/', expect: LOOPBACK },
  { name: 'loopback percent-encoded', url: 'http://%31%32%37.0.0.1:{port}/', expect: LOOPBACK },
  { name: 'loopback in full-width digits', url: 'http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/', expect: LOOPBACK },
  { name: 'loopback behind a backslash-@ confusion', url: 'http://127.0.0.1:{port}\\@example.com/', expect: LOOPBACK },
  { name: 'another loopback address 127.5.6.7', url: 'http://127.5.6.7:{port}/', expect: denied(/127\.5\.6\.7 is a loopback address$/) },
  { name: 'unspecified 0.0.0.0 (reaches localhost on Linux)', url: 'http://0.0.0.0:{port}/', expect: denied(/0\.0\.0\.0 is an unspecified address$/) },
  { name: 'unspecified as 0', url: 'http://0:{port}/', expect: denied(/0\.0\.0\.0 is an unspecified address$/) },
  // IPv6 loopback and IPv4 embedded in IPv6
  { name: 'IPv6 loopback [::1]', url: 'http://[::1]:{port}/', expect: denied(/::1 is a loopback address$/) },
  { name: 'IPv6 loopback in full [0:0:0:0:0:0:0:1]', url: 'http://[0:0:0:0:0:0:0:1]:{port}/', expect: denied(/::1 is a loopback address$/) },
  { name: 'IPv6 unspecified [::] (reaches localhost)', url: 'http://[::]:{port}/', expect: denied(/:: is an unspecified address$/) },
  { name: 'IPv4-mapped [::ffff:127.0.0.1]', url: 'http://[::ffff:127.0.0.1]:{port}/', expect: denied(/IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  { name: 'IPv4-mapped in hex [::ffff:7f00:1]', url: 'http://[::ffff:7f00:1]:{port}/', expect: denied(/IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1/) },
  { name: 'IPv4-mapped in full [0:0:0:0:0:ffff:127.0.0.1]', url: 'http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/', expect: denied(/IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1/) },
  { name: 'IPv4-compatible [::127.0.0.1]', url: 'http://[::127.0.0.1]:{port}/', expect: denied(/IPv4-compatible IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  { name: 'IPv4-translated [::ffff:0:127.0.0.1]', url: 'http://[::ffff:0:127.0.0.1]:{port}/', expect: denied(/IPv4-translated IPv6 address \(embedding 127\.0\.0\.1/) },
  { name: 'NAT64 [64:ff9b::7f00:1]', url: 'http://[64:ff9b::7f00:1]:{port}/', expect: denied(/NAT64 address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  { name: 'NAT64 local-use [64:ff9b:1::a00:1]', url: 'http://[64:ff9b:1::a00:1]:{port}/', expect: denied(/NAT64 address$/) },
  { name: '6to4 [2002:7f00:1::]', url: 'http://[2002:7f00:1::]:{port}/', expect: denied(/6to4 address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  { name: 'Teredo with an embedded 127.0.0.1', url: 'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/', expect: denied(/Teredo address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  // private, link-local, metadata and other non-public IPv4
  { name: 'private 10.0.0.1', url: 'http://10.0.0.1:{port}/', expect: denied(/10\.0\.0\.1 is a private address$/) },
  { name: 'private 172.16.0.1', url: 'http://172.16.0.1:{port}/', expect: denied(/172\.16\.0\.1 is a private address$/) },
  { name: 'private 172.31.255.254', url: 'http://172.31.255.254:{port}/', expect: denied(/is a private address$/) },
  { name: 'private 192.168.0.1', url: 'http://192.168.0.1:{port}/', expect: denied(/192\.168\.0\.1 is a private address$/) },
  { name: 'private as decimal 3232235521 (192.168.0.1)', url: 'http://3232235521:{port}/', expect: denied(/192\.168\.0\.1 is a private address$/) },
  { name: 'cloud metadata 169.254.169.254', url: 'http://169.254.169.254/latest/meta-data/', expect: denied(/169\.254\.169\.254 is a link-local address$/) },
  { name: 'cloud metadata as hex 0xa9fea9fe', url: 'http://0xa9fea9fe/latest/meta-data/', expect: denied(/169\.254\.169\.254 is a link-local address$/) },
  { name: 'cloud metadata IPv4-mapped', url: 'http://[::ffff:169.254.169.254]/latest/meta-data/', expect: denied(/embedding 169\.254\.169\.254, a link-local address/) },
  { name: 'cloud metadata via NAT64', url: 'http://[64:ff9b::a9fe:a9fe]/', expect: denied(/embedding 169\.254\.169\.254, a link-local address/) },
  { name: 'carrier-grade NAT 100.64.0.1', url: 'http://100.64.0.1:{port}/', expect: denied(/carrier-grade NAT address$/) },
  { name: 'multicast 224.0.0.1', url: 'http://224.0.0.1:{port}/', expect: denied(/multicast address$/) },
  { name: 'broadcast 255.255.255.255', url: 'http://255.255.255.255:{port}/', expect: denied(/broadcast address$/) },
  { name: 'benchmarking 198.18.0.1', url: 'http://198.18.0.1:{port}/', expect: denied(/198\.18\.0\.1 is a reserved address$/) },
  { name: 'documentation 192.0.2.1', url: 'http://192.0.2.1/', expect: denied(/reserved address$/) },
  { name: 'reserved 240.0.0.1', url: 'http://240.0.0.1/', expect: denied(/reserved address$/) },
  // non-public IPv6
  { name: 'unique-local [fd00::1]', url: 'http://[fd00::1]:{port}/', expect: denied(/fd00::1 is a unique-local address$/) },
  { name: 'link-local [fe80::1]', url: 'http://[fe80::1]:{port}/', expect: denied(/fe80::1 is a link-local address$/) },
  { name: 'site-local [fec0::1]', url: 'http://[fec0::1]/', expect: denied(/site-local address$/) },
  { name: 'multicast [ff02::1]', url: 'http://[ff02::1]:{port}/', expect: denied(/multicast address$/) },
  { name: 'documentation [2001:db8::1]', url: 'http://[2001:db8::1]/', expect: denied(/reserved address$/) },
  { name: 'a zone id cannot even be written', url: 'http://[fe80::1%25eth0]:{port}/', expect: invalid(/not a valid absolute URL/) },
  // names
  { name: 'localhost (the OS resolver)', url: 'http://localhost:{port}/', expect: denied(/localhost resolves to a loopback address$/) },
  { name: 'LOCALHOST. resolving to both loopbacks', url: 'http://LOCALHOST.:{port}/', lookup: resolves(['127.0.0.1', '::1']), expect: denied(/localhost\. resolves to a loopback address$/) },
  { name: 'a public-looking name resolving to 127.0.0.1', url: 'http://public.example:{port}/', lookup: resolves(['127.0.0.1']), expect: denied(/public\.example resolves to a loopback address$/) },
  { name: 'a name resolving to a private address', url: 'http://intranet.example:{port}/', lookup: resolves(['10.1.2.3']), expect: denied(/intranet\.example resolves to a private address$/) },
  { name: 'a name resolving to the metadata service', url: 'http://metadata.example/computeMetadata/v1/', lookup: resolves(['169.254.169.254']), expect: denied(/resolves to a link-local address$/) },
  { name: 'a name resolving to 0.0.0.0', url: 'http://zero.example:{port}/', lookup: resolves(['0.0.0.0']), expect: denied(/resolves to an unspecified address$/) },
  { name: 'a name with an IPv4-mapped AAAA record', url: 'http://mapped.example:{port}/', lookup: resolves(['::ffff:127.0.0.1']), expect: denied(/resolves to an IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1, a loopback address\)$/) },
  { name: 'a name with an IPv4-compatible record printed ::127.0.0.1', url: 'http://compat.example:{port}/', lookup: resolves(['::127.0.0.1']), expect: denied(/IPv4-compatible/) },
  { name: 'a name with a link-local record carrying a zone id', url: 'http://zoned.example:{port}/', lookup: resolves(['fe80::1%lo']), expect: denied(/resolves to a link-local address$/) },
  { name: 'a name with one public and one private record', url: 'http://mixed.example:{port}/', lookup: resolves(['93.184.216.34', '127.0.0.1']), expect: denied(/mixed\.example resolves to a loopback address$/) },
  { name: 'a name with one public and one private IPv6 record', url: 'http://mixed6.example:{port}/', lookup: resolves(['2606:4700::1111', '::1']), expect: denied(/resolves to a loopback address$/) },
  { name: 'a 127.0.0.1.nip.io-style name', url: 'http://127.0.0.1.nip.io:{port}/', lookup: resolves(['127.0.0.1']), expect: denied(/127\.0\.0\.1\.nip\.io resolves to a loopback address$/) },
  { name: 'rebinding the other way: private at connect time, public afterwards', url: 'http://rebind.example:{port}/', lookup: resolves(['127.0.0.1'], ['93.184.216.34']), expect: denied(/resolves to a loopback address$/) },
  // schemes and credentials
  { name: 'file: scheme', url: 'file:///etc/passwd', expect: invalid(/^Only http and https URLs are allowed, not file:$/) },
  { name: 'ftp: scheme', url: 'ftp://127.0.0.1:{port}/', expect: invalid(/not ftp:$/) },
  { name: 'gopher: scheme', url: 'gopher://127.0.0.1:{port}/_GET%20/%20HTTP/1.0%0d%0a', expect: invalid(/not gopher:$/) },
  { name: 'data: scheme', url: 'data:text/plain,hello', expect: invalid(/not data:$/) },
  { name: 'dict: scheme', url: 'dict://127.0.0.1:{port}/info', expect: invalid(/not dict:$/) },
  { name: 'ws: scheme', url: 'ws://127.0.0.1:{port}/', expect: invalid(/not ws:$/) },
  { name: 'credentials in the URL', url: 'http://user:secret@example.com/', expect: invalid(/may not carry credentials/) },
  { name: 'userinfo masking the real host', url: 'http://example.com@127.0.0.1:{port}/', expect: invalid(/may not carry credentials/) },
  // ports and host lists
  { name: 'port 22', url: 'http://example.com:22/', expect: denied(/port 22 is not allowed \(allowed: 80, 443, \d+\)$/) },
  { name: 'port 6379 on loopback', url: 'http://127.0.0.1:6379/', expect: denied(/port 6379 is not allowed/) },
  { name: 'port 8443 over https', url: 'https://example.com:8443/', expect: denied(/port 8443 is not allowed/) },
  { name: 'a denied host', url: 'http://metadata.google.internal/computeMetadata/v1/', settings: { denyHosts: ['metadata.google.internal'] }, expect: denied(/the host metadata\.google\.internal is denied/) },
  { name: 'a denied host by wildcard, in capitals with a trailing dot', url: 'http://DB.Internal.Example.:{port}/', settings: { denyHosts: ['*.internal.example'] }, expect: denied(/the host db\.internal\.example is denied/) },
  { name: 'deny wins over allow', url: 'http://db.internal.example:{port}/', settings: { allowHosts: ['*.example'], denyHosts: ['*.internal.example'] }, expect: denied(/is denied/) },
  { name: 'a host outside allowHosts', url: 'http://localhost:{port}/', settings: { allowHosts: ['api.example.com'] }, expect: denied(/the host localhost is not among the allowed hosts/) },
  // allowPrivateNetworks is exact
  { name: 'an allowed /32 does not open its neighbour', url: 'http://127.0.0.2:{port}/', settings: ALLOW_LOOPBACK, expect: denied(/127\.0\.0\.2 is a loopback address$/) },
  { name: 'an allowed range does not excuse another record of the same name', url: 'http://mixed.example:{port}/', settings: ALLOW_LOOPBACK, lookup: resolves(['127.0.0.1', '10.0.0.1']), expect: denied(/resolves to a private address$/) },
  { name: 'an allowed IPv4 range does not open IPv6 loopback', url: 'http://[::1]:{port}/', settings: ALLOW_LOOPBACK, expect: denied(/::1 is a loopback address$/) },
  // positive: the operator's allowPrivateNetworks
  { name: 'allowed: 127.0.0.1 with allowPrivateNetworks 127.0.0.1/32', url: 'http://127.0.0.1:{port}/', settings: ALLOW_LOOPBACK, expect: { reached: 'v4', host: '127.0.0.1:{port}' } },
  { name: 'allowed: a name mapped to 127.0.0.1 with allowPrivateNetworks 127.0.0.1/32', url: 'http://public.example:{port}/path', settings: ALLOW_LOOPBACK, lookup: resolves(['127.0.0.1']), expect: { reached: 'v4', host: 'public.example:{port}' } },
  { name: 'allowed: [::1] with allowPrivateNetworks ::1/128', url: 'http://[::1]:{port}/', settings: { allowPrivateNetworks: ['::1/128'] }, expect: { reached: 'v6', host: '[::1]:{port}' } },
];

describe('SSRF defences with the default configuration', () => {
  let servers: RecordingServers;
  let defaults: SsrfSettings;
  let socketsOpened = 0;
  const onSocket = () => void socketsOpened++;

  before(async () => {
    servers = await startRecordingServers({ extraHosts: ['127.0.0.2'] });
    const parsed = httpRequestsSection.parse({});
    // The defaults, with the recording servers' port allowed (so that the address, not the port, must refuse)
    // and a short connect timeout (so that a failure of the defences fails fast instead of hanging).
    defaults = {
      allowHosts: parsed.allowHosts,
      denyHosts: parsed.denyHosts,
      allowedPorts: [...parsed.allowedPorts, servers.port],
      allowPrivateNetworks: parsed.allowPrivateNetworks,
      connectTimeoutMs: 1000,
    };
    assert.deepEqual(parsed.allowPrivateNetworks, [], 'the default configuration blocks private networks');
    // Every TCP socket this process opens with net.connect (undici's connector does).
    diagnostics.subscribe('net.client.socket', onSocket);
  });

  after(async () => {
    diagnostics.unsubscribe('net.client.socket', onSocket);
    await servers?.close();
  });

  test('the suite has at least 30 refusal cases', () => {
    assert.ok(ROWS.filter((row) => 'code' in row.expect).length >= 30);
  });

  for (const driver of DRIVERS) {
    describe(driver.name, () => {
      for (const row of ROWS) {
        test(row.name, T, async (t) => {
          const expected = row.expect;
          if ('reached' in expected && expected.reached === 'v6' && !servers.v6) return t.skip('no IPv6 loopback');
          const port = String(servers.port);
          const url = row.url.replaceAll('{port}', port);
          servers.reset();
          socketsOpened = 0;
          const outcome = await driver.send(url, { servers, settings: { ...defaults, ...row.settings }, lookup: row.lookup?.() });
          if ('code' in expected) {
            assert.ok('error' in outcome, `refused, but got HTTP ${'status' in outcome ? outcome.status : ''}`);
            assert.equal(outcome.error.code, expected.code, outcome.error.message);
            if (expected.message) assert.match(outcome.error.message, expected.message);
            assert.equal(servers.connectionCount(), 0, 'no connection reached a recording server');
            assert.equal(socketsOpened, 0, 'no socket was even opened');
          } else {
            assert.ok(!('error' in outcome), `allowed, but: ${'error' in outcome ? `${outcome.error.code}: ${outcome.error.message}` : ''}`);
            const server = expected.reached === 'v4' ? servers.v4 : servers.v6!;
            assert.equal(outcome.status, 200);
            assert.equal(outcome.body, `recorded by ${server.host}`);
            assert.equal(server.connections.length, 1);
            assert.equal(servers.connectionCount(), 1, 'no other server was reached');
            if (expected.host) assert.equal(server.requests[0]?.headers.host, expected.host.replaceAll('{port}', port));
          }
        });
      }

      test('DNS rebinding: the address vetted is the address connected to, and every new connection is vetted again', T, async (t) => {
        const rebound = servers.all.find((server) => server.host === '127.0.0.2');
        const lookup = resolves(['127.0.0.1'], ['127.0.0.2'])();
        const ctx = { servers, settings: { ...defaults, ...ALLOW_LOOPBACK }, lookup };
        servers.reset();
        const first = await driver.send(`http://rebind.example:${servers.port}/`, ctx);
        assert.ok(!('error' in first), 'error' in first ? first.error.message : '');
        assert.equal(lookup.calls, 1, 'one resolution: the one that was vetted');
        assert.equal(servers.v4.connections.length, 1);
        assert.equal(servers.v4.connections[0].localAddress, '127.0.0.1');
        const second = await driver.send(`http://rebind.example:${servers.port}/`, ctx);
        assert.ok('error' in second);
        assert.equal(second.error.code, 'PERMISSION_DENIED');
        assert.match(second.error.message, /rebind\.example resolves to a loopback address$/);
        assert.equal(servers.v4.connections.length, 1);
        if (!rebound) return t.skip('127.0.0.2 cannot be listened on here');
        assert.equal(rebound.connections.length, 0, 'the rebound address was never reached');
      });

      test('proxy settings in the environment are ignored', T, async () => {
        const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
        const saved = names.map((name) => process.env[name]);
        const proxy = servers.all.find((server) => server.host === '127.0.0.2') ?? servers.v6;
        const proxyUrl = proxy?.origin ?? 'http://127.0.0.1:9';
        for (const name of names) process.env[name] = proxyUrl;
        try {
          servers.reset();
          const outcome = await driver.send(`http://direct.example:${servers.port}/`, {
            servers,
            settings: { ...defaults, ...ALLOW_LOOPBACK },
            lookup: resolves(['127.0.0.1'])(),
          });
          assert.ok(!('error' in outcome), 'error' in outcome ? outcome.error.message : '');
          assert.equal(servers.v4.connections.length, 1, 'straight to the vetted address');
          assert.equal(servers.connectionCount(), 1, 'nothing went to the proxy');
          // And a refused destination stays refused rather than being handed to a proxy.
          const refused = await driver.send(`http://127.0.0.3:${servers.port}/`, { servers, settings: defaults, lookup: undefined });
          assert.ok('error' in refused && refused.error.code === 'PERMISSION_DENIED');
          assert.equal(servers.connectionCount(), 1);
        } finally {
          names.forEach((name, index) => {
            if (saved[index] === undefined) delete process.env[name];
            else process.env[name] = saved[index];
          });
        }
      });
    });
  }
});
