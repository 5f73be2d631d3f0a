/**
 * Authentication and authorization over real HTTP: API keys, JWT from a local
 * JWKS server signing real tokens, per-tool scopes, session binding, the
 * protected-resource metadata — and the attack list, each refused with the
 * right status and nothing executed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { McpServer } from '../../src/index.js';
import { createApiKey } from '../../src/security/auth/api-keys.js';
import { startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { STATELESS_META } from '../helpers/server.js';

const T = { timeout: 10_000 };
const executed: string[] = [];

function register(server: McpServer) {
  server.tool({ name: 'echo', description: 'echo', input: z.object({ text: z.string() }), handler: ({ text }) => (executed.push(`echo:${text}`), text) });
  server.tool({ name: 'admin_reset', description: 'needs admin', scopes: ['admin'], handler: () => (executed.push('admin_reset'), 'reset') });
}

async function call(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const method = body.method as string;
  const params = (body.params ?? {}) as Record<string, unknown>;
  const routing: Record<string, string> = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method };
  if (method === 'tools/call') routing['mcp-name'] = params.name as string;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...routing, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...body, params: { ...params, _meta: STATELESS_META } }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

const echo = { method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } };

describe('API keys', () => {
  let app: StartedMcpd;
  const user = createApiKey('alice', ['tools']);
  const admin = createApiKey('root', ['*']);

  before(async () => {
    app = await startMcpd(testConfig({ auth: { mode: 'apiKey', apiKeys: [user.entry, admin.entry].map((entry) => ({ ...entry, scopes: [...entry.scopes] })), scopesSupported: ['tools', 'admin'] } }), { register });
  });
  after(async () => {
    await app?.shutdown();
  });

  test('no credential: 401 with a resource_metadata challenge, nothing executed', T, async () => {
    executed.length = 0;
    const response = await call(app.url, echo);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    assert.equal(response.json.error.data.errorCode, 'UNAUTHENTICATED');
    assert.deepEqual(executed, []);
  });

  test('a key with one wrong character: 401 invalid_token', T, async () => {
    const wrong = user.key.slice(0, -1) + (user.key.endsWith('A') ? 'B' : 'A');
    const response = await call(app.url, echo, { authorization: `Bearer ${wrong}` });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.deepEqual(executed, []);
  });

  test('a token in the query string is refused', T, async () => {
    const response = await call(`${app.url}?access_token=${user.key}`, echo, { authorization: `Bearer ${user.key}` });
    assert.equal(response.status, 400);
    assert.deepEqual(executed, []);
  });

  test('a valid key works (Authorization or X-API-Key)', T, async () => {
    assert.equal((await call(app.url, echo, { authorization: `Bearer ${user.key}` })).json.result.content[0].text, 'hi');
    assert.equal((await call(app.url, echo, { 'x-api-key': user.key })).status, 200);
  });

  test('a tool the caller lacks the scope for is hidden, and refused with 403 insufficient_scope', T, async () => {
    executed.length = 0;
    const list = await call(app.url, { method: 'tools/list' }, { authorization: `Bearer ${user.key}` });
    const names: string[] = list.json.result.tools.map((tool: { name: string }) => tool.name);
    assert.ok(names.includes('echo'));
    assert.ok(!names.includes('admin_reset'), 'the tool needing a scope the caller lacks is hidden');
    const refused = await call(app.url, { method: 'tools/call', params: { name: 'admin_reset', arguments: {} } }, { authorization: `Bearer ${user.key}` });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.data.errorCode, 'PERMISSION_DENIED');
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.match(refused.headers.get('www-authenticate') ?? '', /scope="admin"/);
    assert.deepEqual(executed, []);
    const allowed = await call(app.url, { method: 'tools/call', params: { name: 'admin_reset', arguments: {} } }, { authorization: `Bearer ${admin.key}` });
    assert.equal(allowed.json.result.content[0].text, 'reset');
  });

  test("another identity's session id is refused (looks unknown)", T, async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(app.url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${user.key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const hijack = await fetch(app.url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${admin.key}`, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    assert.equal(hijack.status, 404);
    const owner = await fetch(app.url, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${user.key}`, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }),
    });
    assert.equal(owner.status, 200);
  });

  test('the protected-resource metadata (RFC 9728)', T, async () => {
    const response = await fetch(`${app.origin}/.well-known/oauth-protected-resource/mcp`);
    const body = (await response.json()) as { resource: string; scopes_supported: string[] };
    assert.equal(body.resource, app.url);
    assert.deepEqual(body.scopes_supported, ['tools', 'admin']);
  });
});

describe('JWT with a local JWKS server', () => {
  let app: StartedMcpd;
  let jwks: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let publicPem: string;
  const issuer = 'https://issuer.test';
  let audience: string;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const { exportSPKI } = await import('jose');
    publicPem = await exportSPKI(pair.publicKey);
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', () => resolve()));
    const { port } = jwks.address() as { port: number };
    audience = 'https://mcp.test/mcp';
    app = await startMcpd(
      testConfig({ auth: { mode: 'jwt', resource: audience, jwt: { jwksUrl: `http://127.0.0.1:${port}/jwks`, issuer, jwksCooldownMs: 1000 } } }),
      { register },
    );
  });
  after(async () => {
    await app?.shutdown();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const sign = (claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; exp?: string | number } = {}) =>
    new SignJWT({ scope: 'tools', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
      .setIssuer((claims.iss as string) ?? issuer)
      .setAudience((claims.aud as string) ?? audience)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(options.key ?? privateKey);

  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  test('a valid token works; its scopes gate tools', T, async () => {
    const token = await sign({});
    assert.equal((await call(app.url, echo, { authorization: `Bearer ${token}` })).status, 200);
    assert.equal((await call(app.url, { method: 'tools/call', params: { name: 'admin_reset', arguments: {} } }, { authorization: `Bearer ${token}` })).status, 403);
  });

  test('the attack list: each refused with 401 and nothing executed', T, async () => {
    executed.length = 0;
    const now = Math.floor(Date.now() / 1000);
    const attacks: Record<string, string> = {
      malformed: 'not.a.jwt',
      expired: await sign({}, { exp: now - 3600 }),
      notYetValid: await new SignJWT({ scope: 'tools' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setSubject('u').setNotBefore(now + 3600).setExpirationTime(now + 7200).sign(privateKey),
      wrongIssuer: await sign({ iss: 'https://evil.test' }),
      wrongAudience: await sign({ aud: 'https://other.test/mcp' }),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u', iss: issuer, aud: audience, exp: now + 300, scope: '*' })}.`,
      hs256WithPublicKey: (() => {
        const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64({ sub: 'u', iss: issuer, aud: audience, exp: now + 300, scope: '*' })}`;
        return `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
      })(),
      unknownKid: await sign({}, { kid: 'nope', key: otherKey }),
      wrongKey: await sign({}, { key: otherKey }),
    };
    for (const [name, token] of Object.entries(attacks)) {
      const response = await call(app.url, echo, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 401, name);
      assert.match(response.headers.get('www-authenticate') ?? '', /resource_metadata=/, name);
    }
    assert.deepEqual(executed, []);
  });
});

describe('startup policy', () => {
  test('auth mode none on a non-loopback bind is refused at startup unless explicitly allowed', T, async () => {
    await assert.rejects(startMcpd(testConfig({ http: { host: '0.0.0.0', port: 0 } }), { register }), /auth\.mode is none on the non-loopback bind/);
    const allowed = await startMcpd(testConfig({ http: { host: '0.0.0.0', port: 0 }, auth: { allowUnauthenticatedRemote: true } }), { register });
    await allowed.shutdown();
  });
});
