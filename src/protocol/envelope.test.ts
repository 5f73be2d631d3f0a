import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonRpcErrorCode, McpdError } from '../chassis/errors.js';
import {
  checkParamHeaders,
  checkRoutingHeaders,
  decodeHeaderValue,
  paramHeadersOf,
  readEnvelope,
  type HeaderLookup,
} from './envelope.js';
import type { JsonRpcRequest } from './jsonrpc.js';
import { MetaKey, STATELESS_VERSION } from './versions.js';

const meta = (overrides: Record<string, unknown> = {}) => ({
  [MetaKey.protocolVersion]: STATELESS_VERSION,
  [MetaKey.clientCapabilities]: { sampling: {} },
  [MetaKey.clientInfo]: { name: 'test', version: '1' },
  ...overrides,
});

/** A header lookup over a plain object; names are matched in lower case like Node's IncomingMessage. */
const headers =
  (values: Record<string, string>): HeaderLookup =>
  (name) =>
    values[name];

function expectMcpdError(fn: () => unknown, check: (error: McpdError) => void): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof McpdError, `expected an McpdError, got ${String(thrown)}`);
  check(thrown);
}

test('readEnvelope returns the envelope of a well-formed request', () => {
  const envelope = readEnvelope({ _meta: meta({ [MetaKey.logLevel]: 'warning' }) }, undefined);
  assert.deepEqual(envelope, {
    protocolVersion: STATELESS_VERSION,
    clientCapabilities: { sampling: {} },
    clientInfo: { name: 'test', version: '1' },
    logLevel: 'warning',
  });
  const minimal = readEnvelope({ _meta: meta({ [MetaKey.clientInfo]: 'not an object' }) }, headers({ 'mcp-protocol-version': STATELESS_VERSION }));
  assert.equal(minimal.clientInfo, undefined);
  assert.equal(minimal.logLevel, undefined);
});

test('readEnvelope: missing _meta is -32602 / HTTP 400', () => {
  for (const params of [undefined, {}, { _meta: null }, { _meta: 'x' }, { _meta: [] }]) {
    expectMcpdError(
      () => readEnvelope(params as Record<string, unknown> | undefined, undefined),
      (error) => {
        assert.equal(error.code, 'VALIDATION_ERROR');
        assert.equal(error.jsonRpcCode, JsonRpcErrorCode.INVALID_PARAMS);
        assert.equal(error.httpStatus, 400);
        assert.equal(error.protocol, true);
        assert.match(error.message, /_meta is required/);
      },
    );
  }
});

test('readEnvelope: missing or non-string protocolVersion is -32602 / HTTP 400', () => {
  for (const version of [undefined, 20260728, null]) {
    expectMcpdError(
      () => readEnvelope({ _meta: meta({ [MetaKey.protocolVersion]: version }) }, undefined),
      (error) => {
        assert.equal(error.jsonRpcCode, JsonRpcErrorCode.INVALID_PARAMS);
        assert.equal(error.httpStatus, 400);
        assert.ok(error.message.includes(MetaKey.protocolVersion));
      },
    );
  }
});

test('readEnvelope: missing or non-object clientCapabilities is -32602 / HTTP 400', () => {
  for (const capabilities of [undefined, null, 'all', ['sampling']]) {
    expectMcpdError(
      () => readEnvelope({ _meta: meta({ [MetaKey.clientCapabilities]: capabilities }) }, undefined),
      (error) => {
        assert.equal(error.jsonRpcCode, JsonRpcErrorCode.INVALID_PARAMS);
        assert.equal(error.httpStatus, 400);
        assert.ok(error.message.includes(MetaKey.clientCapabilities));
      },
    );
  }
});

test('readEnvelope: an invalid log level is -32602', () => {
  expectMcpdError(
    () => readEnvelope({ _meta: meta({ [MetaKey.logLevel]: 'loud' }) }, undefined),
    (error) => {
      assert.equal(error.jsonRpcCode, JsonRpcErrorCode.INVALID_PARAMS);
      assert.ok(error.message.includes(MetaKey.logLevel));
    },
  );
});

test('readEnvelope: MCP-Protocol-Version header disagreeing with _meta is -32020 with the mismatch in data', () => {
  expectMcpdError(
    () => readEnvelope({ _meta: meta() }, headers({ 'mcp-protocol-version': '2025-11-25' })),
    (error) => {
      assert.equal(error.code, 'VALIDATION_ERROR');
      assert.equal(error.jsonRpcCode, JsonRpcErrorCode.HEADER_MISMATCH);
      assert.equal(error.jsonRpcCode, -32020);
      assert.equal(error.httpStatus, 400);
      assert.equal(error.protocol, true);
      assert.deepEqual(error.data, {
        mismatch: { header: 'MCP-Protocol-Version', value: '2025-11-25', body: STATELESS_VERSION },
      });
    },
  );
  // A missing header, over HTTP, is a mismatch too.
  expectMcpdError(
    () => readEnvelope({ _meta: meta() }, headers({})),
    (error) => {
      assert.equal(error.jsonRpcCode, -32020);
      assert.deepEqual((error.data?.mismatch as Record<string, unknown>).value, null);
    },
  );
});

test('readEnvelope: an unsupported version is -32022 with supported and requested versions in data', () => {
  expectMcpdError(
    () => readEnvelope({ _meta: meta({ [MetaKey.protocolVersion]: '2099-01-01' }) }, undefined),
    (error) => {
      assert.equal(error.jsonRpcCode, JsonRpcErrorCode.UNSUPPORTED_PROTOCOL_VERSION);
      assert.equal(error.jsonRpcCode, -32022);
      assert.equal(error.httpStatus, 400);
      assert.equal(error.protocol, true);
      assert.deepEqual(error.data, { supported: [STATELESS_VERSION], requested: '2099-01-01' });
    },
  );
  // A sessionful version in a stateless envelope is unsupported as well.
  expectMcpdError(
    () => readEnvelope({ _meta: meta({ [MetaKey.protocolVersion]: '2025-11-25' }) }, headers({ 'mcp-protocol-version': '2025-11-25' })),
    (error) => assert.equal(error.jsonRpcCode, -32022),
  );
});

test('readEnvelope: error precedence is malformed _meta, then header mismatch, then unsupported version', () => {
  // Malformed _meta wins over a header mismatch.
  expectMcpdError(
    () => readEnvelope({ _meta: meta({ [MetaKey.clientCapabilities]: undefined }) }, headers({ 'mcp-protocol-version': 'other' })),
    (error) => assert.equal(error.jsonRpcCode, -32602),
  );
  // A header mismatch wins over an unsupported version.
  expectMcpdError(
    () => readEnvelope({ _meta: meta({ [MetaKey.protocolVersion]: '2099-01-01' }) }, headers({ 'mcp-protocol-version': '2098-01-01' })),
    (error) => assert.equal(error.jsonRpcCode, -32020),
  );
});

const request = (method: string, params: Record<string, unknown> = {}): JsonRpcRequest => ({ jsonrpc: '2.0', id: 1, method, params });

test('checkRoutingHeaders accepts matching Mcp-Method and Mcp-Name', () => {
  checkRoutingHeaders(request('tools/list'), headers({ 'mcp-method': 'tools/list' }));
  checkRoutingHeaders(request('tools/call', { name: 'echo' }), headers({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' }));
  checkRoutingHeaders(request('prompts/get', { name: 'greet' }), headers({ 'mcp-method': 'prompts/get', 'mcp-name': 'greet' }));
  checkRoutingHeaders(request('resources/read', { uri: 'file:///a.txt' }), headers({ 'mcp-method': 'resources/read', 'mcp-name': 'file:///a.txt' }));
  checkRoutingHeaders(request('tasks/get', { taskId: 't1' }), headers({ 'mcp-method': 'tasks/get', 'mcp-name': 't1' }));
  // Methods without a routed name ignore Mcp-Name.
  checkRoutingHeaders(request('tools/list'), headers({ 'mcp-method': 'tools/list', 'mcp-name': 'whatever' }));
});

test('checkRoutingHeaders: Mcp-Method mismatch or absence is -32020', () => {
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/call', { name: 'echo' }), headers({ 'mcp-method': 'tools/list', 'mcp-name': 'echo' })),
    (error) => {
      assert.equal(error.jsonRpcCode, -32020);
      assert.equal(error.httpStatus, 400);
      assert.deepEqual(error.data, { mismatch: { header: 'Mcp-Method', value: 'tools/list', body: 'tools/call' } });
    },
  );
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/list'), headers({})),
    (error) => assert.deepEqual(error.data, { mismatch: { header: 'Mcp-Method', value: null, body: 'tools/list' } }),
  );
});

test('checkRoutingHeaders compares values case-sensitively', () => {
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/list'), headers({ 'mcp-method': 'Tools/List' })),
    (error) => assert.equal(error.jsonRpcCode, -32020),
  );
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/call', { name: 'Echo' }), headers({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' })),
    (error) => {
      assert.equal(error.jsonRpcCode, -32020);
      assert.deepEqual(error.data, { mismatch: { header: 'Mcp-Name', value: 'echo', body: 'Echo' } });
    },
  );
});

test('checkRoutingHeaders: a missing Mcp-Name or a non-string target is a mismatch', () => {
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/call', { name: 'echo' }), headers({ 'mcp-method': 'tools/call' })),
    (error) => assert.deepEqual(error.data, { mismatch: { header: 'Mcp-Name', value: null, body: 'echo' } }),
  );
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/call', { name: 5 }), headers({ 'mcp-method': 'tools/call', 'mcp-name': '5' })),
    (error) => assert.equal(error.jsonRpcCode, -32020),
  );
});

test('checkRoutingHeaders decodes the base64 sentinel in Mcp-Name', () => {
  checkRoutingHeaders(request('tools/call', { name: 'Hello' }), headers({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVsbG8=?=' }));
  const unicode = 'résumé ✓';
  const encoded = `=?base64?${Buffer.from(unicode).toString('base64')}?=`;
  checkRoutingHeaders(request('prompts/get', { name: unicode }), headers({ 'mcp-method': 'prompts/get', 'mcp-name': encoded }));
  // The sentinel is decoded, never compared verbatim.
  expectMcpdError(
    () => checkRoutingHeaders(request('tools/call', { name: '=?base64?SGVsbG8=?=' }), headers({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?SGVsbG8=?=' })),
    (error) => assert.equal(error.jsonRpcCode, -32020),
  );
});

test('checkRoutingHeaders rejects a base64 sentinel with invalid padding or characters', () => {
  for (const bad of ['=?base64?SGVsbG8?=', '=?base64?SGVsbG8==?=', '=?base64?SGVsbG8===?=', '=?base64?SGVs bG8=?=', '=?base64?SGVsbG8-?=', '=?base64?S?=']) {
    expectMcpdError(
      () => checkRoutingHeaders(request('tools/call', { name: 'Hello' }), headers({ 'mcp-method': 'tools/call', 'mcp-name': bad })),
      (error) => {
        assert.equal(error.jsonRpcCode, -32020, bad);
        assert.deepEqual(error.data, { mismatch: { header: 'Mcp-Name', value: bad, body: 'Hello' } });
      },
    );
  }
});

test('decodeHeaderValue: plain values are trimmed, sentinels decoded, invalid UTF-8 refused', () => {
  assert.equal(decodeHeaderValue('  echo  '), 'echo');
  assert.equal(decodeHeaderValue('=?base64?SGVsbG8=?='), 'Hello');
  assert.equal(decodeHeaderValue(' =?base64?SGVsbG8=?= '), 'Hello');
  assert.equal(decodeHeaderValue('=?base64??='), '');
  assert.equal(decodeHeaderValue('=?base64?SGVsbG8'), '=?base64?SGVsbG8'); // not a sentinel: literal
  assert.equal(decodeHeaderValue(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`), undefined);
});

test('decodeHeaderValue refuses non-canonical base64 (non-zero pad bits), as documented', () => {
  // "SGVsbG8=" is the canonical encoding of "Hello"; "SGVsbG9=" decodes to the same bytes
  // but its last character carries non-zero pad bits (RFC 4648 §3.5).
  assert.equal(decodeHeaderValue('=?base64?SGVsbG9=?='), undefined);
  assert.equal(decodeHeaderValue('=?base64?SGk=?='), 'Hi');
  assert.equal(decodeHeaderValue('=?base64?SGl=?='), undefined);
});

test('paramHeadersOf collects x-mcp-header annotations of scalar properties', () => {
  const specs = paramHeadersOf({
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      count: { type: 'integer', 'x-mcp-header': 'Count' },
      dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
      ratio: { type: 'number', 'x-mcp-header': 'Ratio' },
      tags: { type: 'array', 'x-mcp-header': 'Tags' },
      plain: { type: 'string' },
      badAnnotation: { type: 'string', 'x-mcp-header': 5 },
    },
  });
  assert.deepEqual(specs, [
    { property: 'region', header: 'mcp-param-region', type: 'string' },
    { property: 'count', header: 'mcp-param-count', type: 'integer' },
    { property: 'dryRun', header: 'mcp-param-dry-run', type: 'boolean' },
    { property: 'ratio', header: 'mcp-param-ratio', type: 'number' },
  ]);
  assert.deepEqual(paramHeadersOf({ type: 'object' }), []);
  assert.deepEqual(paramHeadersOf({ type: 'object', properties: [] }), []);
});

const SPECS = paramHeadersOf({
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    count: { type: 'integer', 'x-mcp-header': 'Count' },
    dryRun: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
  },
});

test('checkParamHeaders accepts matching string, integer and boolean headers', () => {
  checkParamHeaders(
    SPECS,
    { region: 'eu-west', count: 42, dryRun: true },
    headers({ 'mcp-param-region': 'eu-west', 'mcp-param-count': '42', 'mcp-param-dry-run': 'true' }),
  );
  checkParamHeaders(SPECS, { dryRun: false, count: -3 }, headers({ 'mcp-param-dry-run': 'false', 'mcp-param-count': '-3' }));
  // Base64 sentinel in a param header.
  checkParamHeaders(SPECS, { region: 'Hello' }, headers({ 'mcp-param-region': '=?base64?SGVsbG8=?=' }));
});

test('checkParamHeaders ignores absent or null arguments', () => {
  checkParamHeaders(SPECS, {}, headers({}));
  checkParamHeaders(SPECS, { region: null, count: undefined }, headers({}));
  checkParamHeaders(SPECS, undefined, headers({}));
});

function expectParamMismatch(args: Record<string, unknown>, values: Record<string, string>, header: string): void {
  expectMcpdError(
    () => checkParamHeaders(SPECS, args, headers(values)),
    (error) => {
      assert.equal(error.jsonRpcCode, -32020);
      assert.equal(error.httpStatus, 400);
      assert.equal((error.data?.mismatch as Record<string, unknown>).header, header);
    },
  );
}

test('checkParamHeaders refuses mismatching or missing headers', () => {
  expectParamMismatch({ region: 'eu-west' }, { 'mcp-param-region': 'us-east' }, 'mcp-param-region');
  expectParamMismatch({ region: 'eu-west' }, {}, 'mcp-param-region');
  expectParamMismatch({ region: 'EU-WEST' }, { 'mcp-param-region': 'eu-west' }, 'mcp-param-region');
  expectParamMismatch({ count: 42 }, { 'mcp-param-count': '43' }, 'mcp-param-count');
  expectParamMismatch({ count: 42 }, { 'mcp-param-count': '' }, 'mcp-param-count');
  expectParamMismatch({ count: 42 }, { 'mcp-param-count': 'forty-two' }, 'mcp-param-count');
  expectParamMismatch({ count: '42' }, { 'mcp-param-count': '42' }, 'mcp-param-count'); // body is not a number
  expectParamMismatch({ dryRun: true }, { 'mcp-param-dry-run': 'false' }, 'mcp-param-dry-run');
  expectParamMismatch({ dryRun: true }, { 'mcp-param-dry-run': 'True' }, 'mcp-param-dry-run');
  expectParamMismatch({ dryRun: true }, { 'mcp-param-dry-run': '1' }, 'mcp-param-dry-run');
  expectParamMismatch({ region: 'Hello' }, { 'mcp-param-region': '=?base64?SGVsbG8?=' }, 'mcp-param-region');
});
