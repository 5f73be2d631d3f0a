/**
 * The 2026-07-28 per-request envelope: `_meta` protocol version, client
 * capabilities and info, and (on HTTP) the routing headers that must agree
 * with the body. Checked in the order the spec's error precedence demands:
 * malformed `_meta` (-32602), header/body disagreement (-32020), unsupported
 * version (-32022); the method's existence and capabilities come after.
 */
import type { LogLevel } from '../api/types.js';
import { JsonRpcErrorCode, McpdError } from '../chassis/errors.js';
import { isLogLevel } from './handler-context.js';
import type { Params } from './jsonrpc.js';
import { MetaKey, STATELESS_VERSIONS } from './versions.js';

/** Reads a request header by lower-case name; undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

export interface Envelope {
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown> | undefined;
  logLevel: LogLevel | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function malformedMeta(message: string): McpdError {
  return new McpdError('VALIDATION_ERROR', message, { protocol: true, httpStatus: 400 });
}

export function headerMismatch(message: string, mismatch: Record<string, unknown>): McpdError {
  return new McpdError('VALIDATION_ERROR', `Bad Request: the request headers and body disagree: ${message}`, {
    jsonRpcCode: JsonRpcErrorCode.HEADER_MISMATCH,
    data: { mismatch },
    protocol: true,
    httpStatus: 400,
  });
}

export function readEnvelope(params: Params | undefined, header: HeaderLookup | undefined): Envelope {
  const meta = params?._meta;
  if (!isObject(meta)) throw malformedMeta('Invalid params: _meta is required in protocol 2026-07-28');
  const protocolVersion = meta[MetaKey.protocolVersion];
  if (typeof protocolVersion !== 'string') {
    throw malformedMeta(`Invalid params: _meta["${MetaKey.protocolVersion}"] is required`);
  }
  const clientCapabilities = meta[MetaKey.clientCapabilities];
  if (!isObject(clientCapabilities)) {
    throw malformedMeta(`Invalid params: _meta["${MetaKey.clientCapabilities}"] must be an object`);
  }
  if (header) {
    const headerVersion = header('mcp-protocol-version');
    if (headerVersion !== protocolVersion) {
      throw headerMismatch('MCP-Protocol-Version differs from _meta protocolVersion', {
        header: 'MCP-Protocol-Version',
        value: headerVersion ?? null,
        body: protocolVersion,
      });
    }
  }
  if (!STATELESS_VERSIONS.includes(protocolVersion)) {
    throw new McpdError('VALIDATION_ERROR', `Unsupported protocol version: ${protocolVersion}`, {
      jsonRpcCode: JsonRpcErrorCode.UNSUPPORTED_PROTOCOL_VERSION,
      data: { supported: [...STATELESS_VERSIONS], requested: protocolVersion },
      protocol: true,
      httpStatus: 400,
    });
  }
  const logLevel = meta[MetaKey.logLevel];
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    throw malformedMeta(`Invalid params: _meta["${MetaKey.logLevel}"] is not a log level`);
  }
  const clientInfo = meta[MetaKey.clientInfo];
  return {
    protocolVersion,
    clientCapabilities,
    clientInfo: isObject(clientInfo) ? clientInfo : undefined,
    logLevel: logLevel as LogLevel | undefined,
  };
}

/** The body field that `Mcp-Name` must mirror, per method. */
function routedName(method: string, params: Params | undefined): unknown {
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return params?.name;
    case 'resources/read':
      return params?.uri;
    case 'tasks/get':
    case 'tasks/update':
    case 'tasks/cancel':
      return params?.taskId;
    default:
      return undefined;
  }
}

/** Checks `Mcp-Method` and `Mcp-Name` against the body (HTTP only). */
export function checkRoutingHeaders(request: { method: string; params?: Params }, header: HeaderLookup): void {
  const method = header('mcp-method');
  if (method !== request.method) {
    throw headerMismatch('Mcp-Method differs from the request method', { header: 'Mcp-Method', value: method ?? null, body: request.method });
  }
  const name = routedName(request.method, request.params);
  if (name === undefined) return;
  const raw = header('mcp-name');
  const decoded = raw === undefined ? undefined : decodeHeaderValue(raw);
  if (decoded === undefined || decoded !== name) {
    throw headerMismatch('Mcp-Name differs from the request target', { header: 'Mcp-Name', value: raw ?? null, body: name });
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a header value that may use the `=?base64?…?=` sentinel. Returns
 * undefined for an invalid sentinel (non-canonical base64 or invalid UTF-8).
 */
export function decodeHeaderValue(value: string): string | undefined {
  const trimmed = value.trim();
  if (!(trimmed.startsWith('=?base64?') && trimmed.endsWith('?=') && trimmed.length >= 11)) return trimmed;
  const payload = trimmed.slice(9, -2);
  if (!BASE64.test(payload)) return undefined;
  const bytes = Buffer.from(payload, 'base64');
  // Canonical only: padding bits must be zero (`SGVsbG9=` is not another spelling of `SGVsbG8=`).
  if (bytes.toString('base64') !== payload) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export interface ParamHeader {
  property: string;
  header: string;
  type: 'string' | 'integer' | 'boolean' | 'number';
}

/** Tool arguments the client mirrors into `Mcp-Param-*` headers (`x-mcp-header` annotations). */
export function paramHeadersOf(inputSchema: Record<string, unknown>): ParamHeader[] {
  const properties = inputSchema.properties;
  if (!isObject(properties)) return [];
  const found: ParamHeader[] = [];
  for (const [property, schema] of Object.entries(properties)) {
    if (!isObject(schema) || typeof schema['x-mcp-header'] !== 'string') continue;
    const type = schema.type;
    if (type === 'string' || type === 'integer' || type === 'boolean' || type === 'number') {
      found.push({ property, header: `mcp-param-${(schema['x-mcp-header'] as string).toLowerCase()}`, type });
    }
  }
  return found;
}

export function checkParamHeaders(specs: readonly ParamHeader[], args: unknown, header: HeaderLookup): void {
  const values = isObject(args) ? args : {};
  for (const spec of specs) {
    const body = values[spec.property];
    if (body === undefined || body === null) continue;
    const raw = header(spec.header);
    const decoded = raw === undefined ? undefined : decodeHeaderValue(raw);
    let matches = false;
    if (decoded !== undefined) {
      if (spec.type === 'string') matches = decoded === body;
      else if (spec.type === 'boolean') matches = decoded === String(body);
      else matches = /^-?\d+(\.\d+)?$/.test(decoded.trim()) && Number(decoded) === body;
    }
    if (!matches) {
      throw headerMismatch(`${spec.header} differs from argument "${spec.property}"`, {
        header: spec.header,
        value: raw ?? null,
        body,
      });
    }
  }
}
