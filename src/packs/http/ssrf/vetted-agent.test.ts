import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { buildConnector, fetch, request } from 'undici';
import { McpdError } from '../../../chassis/errors.js';
import { AddressPolicy } from './address-policy.js';
import { createVettedAgent, ssrfRefusal, type Resolver } from './vetted-agent.js';

let server: Server;
let port: number;
let connections = 0;
const hosts: (string | undefined)[] = [];

before(async () => {
  server = createHttpServer((req, res) => {
    hosts.push(req.headers.host);
    res.end('ok');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const resolverOf = (...addresses: string[]): Resolver & { calls: string[] } => {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    return addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { calls });
};

/** The real connector, recording what it was asked to dial. */
function spyConnector(timeout = 1000) {
  const real = buildConnector({ timeout });
  const dials: buildConnector.Options[] = [];
  const connector = ((options: buildConnector.Options, callback: buildConnector.Callback) => {
    dials.push(options);
    return (real as (...args: Parameters<buildConnector.connector>) => unknown)(options, callback);
  }) as buildConnector.connector;
  return { connector, dials };
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

test('an IP literal is vetted before any dial, and the McpdError reaches the caller unchanged', async () => {
  const spy = spyConnector();
  const lookup = resolverOf('8.8.8.8');
  const agent = createVettedAgent({ policy: new AddressPolicy([]), connectTimeoutMs: 1000, connector: spy.connector, lookup });
  const before = connections;
  try {
    const error = await failure(request(`http://127.0.0.1:${port}/`, { dispatcher: agent }));
    assert.ok(error instanceof McpdError);
    assert.equal(error.code, 'PERMISSION_DENIED');
    assert.equal(error.message, 'Destination not allowed: 127.0.0.1 is a loopback address');
    assert.equal(ssrfRefusal(error), error);
    assert.match((await failure(request(`http://[::ffff:7f00:1]:${port}/`, { dispatcher: agent }))).message, /IPv4-mapped IPv6 address \(embedding 127\.0\.0\.1/);
    assert.equal(spy.dials.length, 0);
    assert.deepEqual(lookup.calls, [], 'IP literals are not resolved');
    assert.equal(connections, before);
  } finally {
    await agent.close();
  }
});

test('a name is refused when any of its addresses is not public; the refusal names the host and class, not the address', async () => {
  const spy = spyConnector();
  const lookup = resolverOf('93.184.216.34', '10.20.30.40');
  const agent = createVettedAgent({ policy: new AddressPolicy([]), connectTimeoutMs: 1000, connector: spy.connector, lookup });
  try {
    const error = await failure(request('http://mixed.example/', { dispatcher: agent }));
    assert.equal(ssrfRefusal(error)?.message, 'Destination not allowed: mixed.example resolves to a private address');
    assert.doesNotMatch(error.message, /10\.20\.30\.40/);
    assert.deepEqual(lookup.calls, ['mixed.example']);
    assert.equal(spy.dials.length, 0);
  } finally {
    await agent.close();
  }
});

test('the socket goes to the vetted IP, with the name as TLS servername and in the Host header; one resolution per connection', async () => {
  const spy = spyConnector();
  const lookup = resolverOf('127.0.0.1');
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.1/32']), connectTimeoutMs: 1000, connector: spy.connector, lookup });
  try {
    for (let i = 0; i < 3; i++) {
      const response = await request(`http://Public.Example.:${port}/`, { dispatcher: agent });
      assert.equal(response.statusCode, 200);
      assert.equal(await response.body.text(), 'ok');
    }
    assert.equal(hosts.at(-1), `public.example.:${port}`);
    // One resolution per new connection; keep-alive reuses a socket without either
    // (undici opens a second socket when the next request comes before the first is idle again).
    assert.ok(spy.dials.length >= 1 && spy.dials.length < 3, `${spy.dials.length} connections`);
    assert.equal(lookup.calls.length, spy.dials.length);
    for (const dial of spy.dials) {
      assert.equal(dial.hostname, '127.0.0.1');
      assert.equal(dial.servername, 'public.example');
    }
  } finally {
    await agent.close();
  }
});

test('no servername is sent for IP literals', async () => {
  const spy = spyConnector();
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.1/32']), connectTimeoutMs: 1000, connector: spy.connector });
  try {
    await (await request(`http://127.0.0.1:${port}/`, { dispatcher: agent })).body.dump();
    assert.equal(spy.dials[0].hostname, '127.0.0.1');
    assert.equal(spy.dials[0].servername, undefined);
  } finally {
    await agent.close();
  }
});

/** The SNI host name of a TLS ClientHello, '' when it has none, undefined when the bytes are not a ClientHello. */
function sniOf(hello: Buffer): string | undefined {
  if (hello[0] !== 0x16 || hello[5] !== 0x01) return undefined;
  let at = 5 + 4 + 2 + 32; // record header, handshake header, version, random
  at += 1 + hello[at]; // session id
  at += 2 + hello.readUInt16BE(at); // cipher suites
  at += 1 + hello[at]; // compression methods
  const end = at + 2 + hello.readUInt16BE(at);
  at += 2;
  while (at + 4 <= end) {
    const type = hello.readUInt16BE(at);
    const length = hello.readUInt16BE(at + 2);
    if (type === 0) return hello.subarray(at + 9, at + 9 + hello.readUInt16BE(at + 7)).toString('latin1');
    at += 4 + length;
  }
  return '';
}

test('TLS to a name dials the vetted IP and sends the original name as SNI', async () => {
  const hellos: Buffer[] = [];
  const tls = createTcpServer((socket: Socket) => {
    socket.once('data', (chunk) => {
      hellos.push(chunk);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  const tlsPort = (tls.address() as AddressInfo).port;
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.1/32']), connectTimeoutMs: 1000, lookup: resolverOf('127.0.0.1') });
  try {
    await failure(request(`https://api.example.test.:${tlsPort}/`, { dispatcher: agent }));
    await failure(request(`https://127.0.0.1:${tlsPort}/`, { dispatcher: agent }));
    assert.equal(hellos.length, 2);
    assert.equal(sniOf(hellos[0]), 'api.example.test');
    assert.equal(sniOf(hellos[1]), '');
  } finally {
    await agent.close();
    await new Promise((resolve) => tls.close(resolve));
  }
});

test('the connected address is vetted again: a socket that landed elsewhere is destroyed before use', async () => {
  let destroyed = 0;
  const rogue = ((_options: buildConnector.Options, callback: buildConnector.Callback) => {
    const socket = { remoteAddress: '10.9.9.9', destroy: () => void destroyed++ } as unknown as Socket;
    setImmediate(() => callback(null, socket));
  }) as buildConnector.connector;
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.1/32']), connectTimeoutMs: 1000, connector: rogue, lookup: resolverOf('127.0.0.1') });
  try {
    const error = await failure(request('http://good.example/', { dispatcher: agent }));
    assert.equal(ssrfRefusal(error)?.message, 'Destination not allowed: the connection to good.example reached a private address');
    assert.equal(destroyed, 1);
  } finally {
    await agent.close();
  }
});

test('connection failures keep their code, and the next vetted address is tried after a refused one', async () => {
  const spy = spyConnector();
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.0/8']), connectTimeoutMs: 1000, connector: spy.connector, lookup: resolverOf('127.0.0.3', '127.0.0.1') });
  try {
    const refused = await failure(request('http://127.0.0.1:1/', { dispatcher: agent }));
    assert.equal(refused.code, 'ECONNREFUSED');
    assert.equal(ssrfRefusal(refused), undefined);
    const response = await request(`http://two.example:${port}/`, { dispatcher: agent });
    assert.equal(response.statusCode, 200);
    await response.body.dump();
    assert.deepEqual(
      spy.dials.slice(1).map((dial) => dial.hostname),
      ['127.0.0.3', '127.0.0.1'],
    );
  } finally {
    await agent.close();
  }
});

test('resolution failures keep their code; a name without addresses is ENOTFOUND', async () => {
  const notFound: Resolver = async () => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
  };
  const policy = new AddressPolicy([]);
  for (const lookup of [notFound, resolverOf()]) {
    const agent = createVettedAgent({ policy, connectTimeoutMs: 1000, lookup });
    try {
      const error = await failure(request('http://nowhere.invalid/', { dispatcher: agent }));
      assert.equal(error.code, 'ENOTFOUND');
    } finally {
      await agent.close();
    }
  }
});

test('the connect budget covers a hanging resolution and a hanging dial, and is shared between addresses', async () => {
  const policy = new AddressPolicy(['127.0.0.0/8']);
  const hanging: Resolver = () => new Promise(() => {});
  let agent = createVettedAgent({ policy, connectTimeoutMs: 100, lookup: hanging });
  let started = Date.now();
  try {
    assert.equal((await failure(request('http://slow.example/', { dispatcher: agent }))).code, 'UND_ERR_CONNECT_TIMEOUT');
    assert.ok(Date.now() - started < 1000);
  } finally {
    await agent.close();
  }

  // The first address never answers; it gets half the budget, the second connects.
  const real = buildConnector({ timeout: 1000 });
  const dials: { hostname: string; at: number }[] = [];
  const blackhole = ((options: buildConnector.Options, callback: buildConnector.Callback) => {
    dials.push({ hostname: options.hostname, at: Date.now() - started });
    if (options.hostname === '127.0.0.9') return;
    return (real as (...args: Parameters<buildConnector.connector>) => unknown)(options, callback);
  }) as buildConnector.connector;
  agent = createVettedAgent({ policy, connectTimeoutMs: 400, connector: blackhole, lookup: resolverOf('127.0.0.9', '127.0.0.1') });
  started = Date.now();
  try {
    const response = await request(`http://dual.example:${port}/`, { dispatcher: agent });
    assert.equal(response.statusCode, 200);
    await response.body.dump();
    assert.deepEqual(
      dials.map((dial) => dial.hostname),
      ['127.0.0.9', '127.0.0.1'],
    );
    assert.ok(dials[1].at >= 150 && dials[1].at < 400, `second address tried after ${dials[1].at} ms`);
  } finally {
    await agent.close();
  }
});

test('ssrfRefusal recovers the refusal from request, dispatcher.request and fetch, and nothing else', async () => {
  const agent = createVettedAgent({ policy: new AddressPolicy([]), connectTimeoutMs: 1000, lookup: resolverOf('169.254.169.254') });
  try {
    const viaRequest = await failure(request('http://metadata.example/', { dispatcher: agent }));
    const viaDispatcher = await failure(agent.request({ origin: 'http://metadata.example', path: '/', method: 'GET' }));
    const viaFetch = await failure(fetch('http://metadata.example/', { dispatcher: agent }));
    assert.ok(!(viaFetch instanceof McpdError), 'fetch wraps it');
    for (const error of [viaRequest, viaDispatcher, viaFetch]) {
      assert.equal(ssrfRefusal(error)?.message, 'Destination not allowed: metadata.example resolves to a link-local address');
    }
    const refusal = ssrfRefusal(viaRequest)!;
    assert.equal(ssrfRefusal(new AggregateError([new Error('x'), refusal])), refusal);
  } finally {
    await agent.close();
  }
  const cyclic: any = new Error('a');
  cyclic.cause = cyclic;
  for (const other of [cyclic, new Error('b'), new McpdError('UPSTREAM_ERROR', 'c'), undefined, null, 'PERMISSION_DENIED', { code: 'PERMISSION_DENIED' }]) {
    assert.equal(ssrfRefusal(other), undefined);
  }
});

test('a connector that throws fails the request instead of the process', async () => {
  const throwing = (() => {
    throw Object.assign(new Error('no sockets today'), { code: 'EMFILE' });
  }) as buildConnector.connector;
  const agent = createVettedAgent({ policy: new AddressPolicy(['127.0.0.1/32']), connectTimeoutMs: 1000, connector: throwing });
  try {
    const error = await failure(request(`http://127.0.0.1:${port}/`, { dispatcher: agent }));
    assert.equal(error.code, 'EMFILE');
  } finally {
    await agent.close();
  }
});
