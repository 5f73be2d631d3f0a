/**
 * Malformed and hostile input over Streamable HTTP, in both eras: every
 * refusal has the right HTTP status and JSON-RPC error, echoes the request id
 * when there is one, and leaves the server serving.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CallToolResultSchema, JSONRPCErrorResponseSchema, ListToolsResultSchema } from '@modelcontextprotocol/core';
import { startFixture, statelessPost, STATELESS_META, type RunningServer } from '../helpers/server.js';
import { initializeSession, POST_HEADERS, rawRequest, sessionHeaders, sessionPost, type RawResponse } from '../helpers/http.js';

const T = { timeout: 10_000 } as const;

/** Asserts a JSON-RPC error response and returns its error object. */
function expectError(response: { status: number; json: any }, status: number, code: number, id?: string | number): any {
  assert.equal(response.status, status, `HTTP status (body: ${JSON.stringify(response.json)})`);
  assert.ok(response.json, 'a JSON body');
  JSONRPCErrorResponseSchema.parse(response.json);
  assert.equal(response.json.jsonrpc, '2.0');
  assert.equal(response.json.error.code, code, `JSON-RPC code (message: ${response.json.error.message})`);
  assert.equal(typeof response.json.error.message, 'string');
  if (id !== undefined) assert.equal(response.json.id, id, 'the error echoes the request id');
  return response.json.error;
}

describe('HTTP errors: 2025-11-25 sessionful and transport-level refusals', () => {
  let fixture: RunningServer;
  let sessionId: string;

  const post = (body: string | Buffer, headers: Record<string, string | number> = sessionHeaders(sessionId)): Promise<RawResponse> =>
    rawRequest(fixture.url, { method: 'POST', headers, body });

  before(async () => {
    fixture = await startFixture();
    ({ sessionId } = await initializeSession(fixture.url));
  });

  after(async () => {
    await fixture?.close();
  });

  test('invalid JSON: 400, -32700, no id', T, async () => {
    const response = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expectError(response, 400, -32700);
    assert.equal(response.json.id ?? null, null);
  });

  test('an empty body is a parse error', T, async () => {
    expectError(await post(''), 400, -32700);
  });

  test('a batch array: 400, -32600', T, async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ]);
    const error = expectError(await post(batch), 400, -32600);
    assert.match(error.message, /batch/i);
  });

  test('wrong jsonrpc version: 400, -32600, id echoed', T, async () => {
    expectError(await post(JSON.stringify({ jsonrpc: '1.0', id: 'v1', method: 'tools/list' })), 400, -32600, 'v1');
    expectError(await post(JSON.stringify({ id: 'v-missing', method: 'tools/list' })), 400, -32600, 'v-missing');
  });

  test('structurally invalid messages: 400, -32600', T, async () => {
    expectError(await post(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: [1, 2] })), 400, -32600, 3);
    expectError(await post(JSON.stringify({ jsonrpc: '2.0', id: { nested: true }, method: 'tools/list' })), 400, -32600);
    expectError(await post(JSON.stringify('just a string')), 400, -32600);
    expectError(await post(JSON.stringify({ jsonrpc: '2.0', id: 4 })), 400, -32600, 4);
  });

  test('unknown method in a session: 200 with -32601', T, async () => {
    const response = await sessionPost(fixture.url, sessionId, { id: 'u1', method: 'no/such/method', params: {} });
    expectError(response, 200, -32601, 'u1');
  });

  test('unknown tool: -32602', T, async () => {
    const response = await sessionPost(fixture.url, sessionId, { id: 'u2', method: 'tools/call', params: { name: 'does_not_exist', arguments: {} } });
    const error = expectError(response, 200, -32602, 'u2');
    assert.match(error.message, /does_not_exist/);
  });

  test('arguments failing the schema: a tool result with isError and VALIDATION_ERROR', T, async () => {
    const response = await sessionPost(fixture.url, sessionId, { id: 'u3', method: 'tools/call', params: { name: 'greet', arguments: { name: 12 } } });
    assert.equal(response.status, 200);
    assert.equal(response.json.id, 'u3');
    const result = CallToolResultSchema.parse(response.json.result);
    assert.equal(result.isError, true);
    const text = (result.content[0] as { text: string }).text;
    assert.ok(text.startsWith('VALIDATION_ERROR'), text);
    assert.match(text, /name/);

    const missing = await sessionPost(fixture.url, sessionId, { id: 'u4', method: 'tools/call', params: { name: 'slow_compute', arguments: { seconds: -1 } } });
    assert.equal(missing.json.result.isError, true);
    assert.match(missing.json.result.content[0].text, /^VALIDATION_ERROR/);
  });

  test('arguments failing a raw JSON Schema (2020-12 tool): VALIDATION_ERROR', T, async () => {
    const response = await sessionPost(fixture.url, sessionId, {
      id: 'u5',
      method: 'tools/call',
      params: { name: 'json_schema_2020_12_tool', arguments: { name: 'x', contactMethod: 'phone', unexpected: true } },
    });
    assert.equal(response.json.result.isError, true);
    assert.match(response.json.result.content[0].text, /^VALIDATION_ERROR/);
  });

  test('a 10 MB body with Content-Length: 413', T, async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const response = await post(big, { ...sessionHeaders(sessionId), 'content-length': big.length });
    expectError(response, 413, -32600);
  });

  test('a 10 MB chunked body: 413', T, async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const response = await post(big, { ...sessionHeaders(sessionId), 'transfer-encoding': 'chunked' });
    expectError(response, 413, -32600);
  });

  test('missing Mcp-Session-Id on a non-initialize request: 400, id echoed', T, async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 's1', method: 'tools/list' }), { ...POST_HEADERS, 'mcp-protocol-version': '2025-11-25' });
    const error = expectError(response, 400, -32600, 's1');
    assert.match(error.message, /Mcp-Session-Id/);
  });

  test('unknown, terminated and foreign session ids: 404', T, async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 's2', method: 'tools/list' });
    expectError(await post(body, sessionHeaders('00000000-0000-4000-8000-000000000000')), 404, -32001, 's2');

    const doomed = await initializeSession(fixture.url);
    const deleted = await rawRequest(fixture.url, { method: 'DELETE', headers: { 'mcp-session-id': doomed.sessionId } });
    assert.equal(deleted.status, 200);
    expectError(await post(body, sessionHeaders(doomed.sessionId)), 404, -32001, 's2');
    const deletedAgain = await rawRequest(fixture.url, { method: 'DELETE', headers: { 'mcp-session-id': doomed.sessionId } });
    assert.equal(deletedAgain.status, 404);

    // A session minted by another server instance means nothing here.
    const other = await startFixture();
    try {
      const foreign = await initializeSession(other.url);
      expectError(await post(body, sessionHeaders(foreign.sessionId)), 404, -32001, 's2');
    } finally {
      await other.close();
    }
  });

  test('initialize inside an existing session: 400', T, async () => {
    const response = await sessionPost(fixture.url, sessionId, {
      id: 'i2',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    expectError(response, 400, -32600, 'i2');
  });

  test('an unsupported MCP-Protocol-Version inside a session: 400', T, async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 'pv', method: 'tools/list' }), sessionHeaders(sessionId, '2025-01-01'));
    expectError(response, 400, -32600, 'pv');
  });

  test('a foreign Origin or Host (DNS rebinding): 403', T, async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'o1', method: 'tools/list' });
    expectError(await post(body, { ...sessionHeaders(sessionId), origin: 'http://evil.example' }), 403, -32000);
    expectError(await post(body, { ...sessionHeaders(sessionId), host: 'evil.example' }), 403, -32000);
    expectError(await post(body, { ...sessionHeaders(sessionId), host: `evil.example:${fixture.port}` }), 403, -32000);
    expectError(await post(body, { ...sessionHeaders(sessionId), origin: 'null' }), 403, -32000);
    // A loopback Origin is fine.
    const ok = await post(body, { ...sessionHeaders(sessionId), origin: `http://localhost:${fixture.port}` });
    assert.equal(ok.status, 200);
  });

  test('wrong or missing Content-Type: 415', T, async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'c1', method: 'tools/list' });
    expectError(await post(body, { ...sessionHeaders(sessionId), 'content-type': 'text/plain' }), 415, -32600);
    const { 'content-type': _dropped, ...noType } = sessionHeaders(sessionId);
    expectError(await post(body, noType), 415, -32600);
  });

  test('missing or insufficient Accept: 406', T, async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 'a1', method: 'tools/list' });
    const { accept: _dropped, ...noAccept } = sessionHeaders(sessionId);
    expectError(await post(body, noAccept), 406, -32600);
    expectError(await post(body, { ...noAccept, accept: 'application/json' }), 406, -32600);
    expectError(await post(body, { ...noAccept, accept: 'text/event-stream' }), 406, -32600);
  });

  test('unsupported HTTP methods and paths', T, async () => {
    const put = await rawRequest(fixture.url, { method: 'PUT', headers: sessionHeaders(sessionId), body: '{}' });
    assert.equal(put.status, 405);
    const elsewhere = await rawRequest(new URL('/not-mcp', fixture.url).href, { method: 'POST', headers: sessionHeaders(sessionId), body: '{}' });
    assert.equal(elsewhere.status, 404);
    const getNoSession = await rawRequest(fixture.url, { method: 'GET', headers: { accept: 'text/event-stream' } });
    assert.equal(getNoSession.status, 405);
  });

  test('a JSON-RPC response POSTed without a session: 400', T, async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 's9', result: {} }), { ...POST_HEADERS });
    expectError(response, 400, -32600);
  });

  test('after all of it the server still answers tools/list (same session, new session, stateless)', T, async () => {
    const same = await sessionPost(fixture.url, sessionId, { id: 'final', method: 'tools/list', params: {} });
    assert.equal(same.status, 200);
    ListToolsResultSchema.parse(same.json.result);
    assert.ok(same.json.result.tools.length > 10);

    const fresh = await initializeSession(fixture.url);
    const listed = await sessionPost(fixture.url, fresh.sessionId, { id: 1, method: 'tools/list', params: {} });
    ListToolsResultSchema.parse(listed.json.result);

    const stateless = await statelessPost(fixture.url, 'tools/list');
    assert.equal(stateless.status, 200);
    ListToolsResultSchema.parse(stateless.json.result);
  });
});

describe('HTTP errors: the 2026-07-28 stateless envelope', () => {
  let fixture: RunningServer;

  const send = (body: unknown, headers: Record<string, string>) =>
    rawRequest(fixture.url, { method: 'POST', headers: { ...POST_HEADERS, ...headers }, body: JSON.stringify(body) });

  before(async () => {
    fixture = await startFixture();
  });

  after(async () => {
    await fixture?.close();
  });

  test('unknown method: 404 with -32601, id echoed', T, async () => {
    const response = await statelessPost(fixture.url, 'no/such/method', {}, {}, 'm-404');
    expectError(response, 404, -32601, 'm-404');
  });

  test('sessionful-only methods are unknown in the stateless era', T, async () => {
    expectError(await statelessPost(fixture.url, 'logging/setLevel', { level: 'info' }, {}, 'm-ls'), 404, -32601, 'm-ls');
    expectError(await statelessPost(fixture.url, 'ping', {}, {}, 'm-ping'), 404, -32601, 'm-ping');
  });

  test('unknown tool: -32602', T, async () => {
    const response = await statelessPost(fixture.url, 'tools/call', { name: 'does_not_exist', arguments: {} }, {}, 'm-tool');
    expectError(response, 200, -32602, 'm-tool');
  });

  test('arguments failing the schema: isError with VALIDATION_ERROR', T, async () => {
    const response = await statelessPost(fixture.url, 'tools/call', { name: 'greet', arguments: {} }, {}, 'm-args');
    assert.equal(response.status, 200);
    assert.equal(response.json.id, 'm-args');
    assert.equal(response.json.result.resultType, 'complete');
    const result = CallToolResultSchema.parse(response.json.result);
    assert.equal(result.isError, true);
    assert.ok((result.content[0] as { text: string }).text.startsWith('VALIDATION_ERROR'));
  });

  test('missing _meta: 400, -32602, id echoed', T, async () => {
    const response = await send(
      { jsonrpc: '2.0', id: 'e-meta', method: 'tools/list', params: {} },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
    const error = expectError(response, 400, -32602, 'e-meta');
    assert.match(error.message, /_meta/);
    const noParams = await send({ jsonrpc: '2.0', id: 'e-meta-2', method: 'tools/list' }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' });
    expectError(noParams, 400, -32602, 'e-meta-2');
  });

  test('_meta without client capabilities: 400, -32602', T, async () => {
    const { 'io.modelcontextprotocol/clientCapabilities': _caps, ...meta } = STATELESS_META;
    const response = await send(
      { jsonrpc: '2.0', id: 'e-caps', method: 'tools/list', params: { _meta: meta } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
    expectError(response, 400, -32602, 'e-caps');
  });

  test('header/body protocol version mismatch: 400, -32020', T, async () => {
    const response = await statelessPost(fixture.url, 'tools/list', {}, { 'mcp-protocol-version': '2025-11-25' }, 'e-ver');
    const error = expectError(response, 400, -32020, 'e-ver');
    assert.equal(error.data.mismatch.header, 'MCP-Protocol-Version');
    assert.equal(error.data.mismatch.body, '2026-07-28');
    const missingHeader = await send(
      { jsonrpc: '2.0', id: 'e-ver-2', method: 'tools/list', params: { _meta: STATELESS_META } },
      { 'mcp-method': 'tools/list' },
    );
    expectError(missingHeader, 400, -32020, 'e-ver-2');
  });

  test('unsupported protocol version: 400, -32022 with data.supported and data.requested', T, async () => {
    const response = await statelessPost(
      fixture.url,
      'tools/list',
      { _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
      { 'mcp-protocol-version': '2099-01-01' },
      'e-unsup',
    );
    const error = expectError(response, 400, -32022, 'e-unsup');
    assert.deepEqual(error.data.supported, ['2026-07-28']);
    assert.equal(error.data.requested, '2099-01-01');
  });

  test('Mcp-Name mismatch: 400, -32020', T, async () => {
    const response = await statelessPost(fixture.url, 'tools/call', { name: 'greet', arguments: { name: 'x' } }, { 'mcp-name': 'test_simple_text' }, 'e-name');
    const error = expectError(response, 400, -32020, 'e-name');
    assert.equal(error.data.mismatch.header, 'Mcp-Name');
    assert.equal(error.data.mismatch.body, 'greet');
    const read = await statelessPost(fixture.url, 'resources/read', { uri: 'test://static-text' }, { 'mcp-name': 'test://static-binary' }, 'e-name-2');
    expectError(read, 400, -32020, 'e-name-2');
  });

  test('missing Mcp-Name and Mcp-Method mismatch: 400, -32020', T, async () => {
    const noName = await send(
      { jsonrpc: '2.0', id: 'e-noname', method: 'tools/call', params: { name: 'greet', arguments: { name: 'x' }, _meta: STATELESS_META } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' },
    );
    expectError(noName, 400, -32020, 'e-noname');
    const wrongMethod = await statelessPost(fixture.url, 'tools/list', {}, { 'mcp-method': 'prompts/list' }, 'e-method');
    const error = expectError(wrongMethod, 400, -32020, 'e-method');
    assert.equal(error.data.mismatch.header, 'Mcp-Method');
  });

  test('errors echo numeric ids too', T, async () => {
    expectError(await statelessPost(fixture.url, 'no/such/method', {}, {}, 4242), 404, -32601, 4242);
    expectError(await statelessPost(fixture.url, 'tools/list', {}, { 'mcp-protocol-version': '2025-06-18' }, 0), 400, -32020, 0);
  });

  test('the stateless era still serves after the refusals', T, async () => {
    const list = await statelessPost(fixture.url, 'tools/list');
    assert.equal(list.status, 200);
    ListToolsResultSchema.parse(list.json.result);
    const call = await statelessPost(fixture.url, 'tools/call', { name: 'greet', arguments: { name: 'after' } });
    assert.equal(CallToolResultSchema.parse(call.json.result).content[0]!.type, 'text');
    assert.equal(call.json.result.content[0].text, 'Hello, after!');
  });
});
