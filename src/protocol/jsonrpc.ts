/**
 * JSON-RPC 2.0 framing: parse once, classify once, serialize once.
 *
 * The hot path never validates an incoming message against the spec's zod
 * schemas (that costs more than the whole request); it checks the handful of
 * fields that decide dispatch and leaves per-method parameters to the method.
 */
import { JsonRpcErrorCode, type JsonRpcErrorBody } from '../chassis/errors.js';

export type JsonRpcId = string | number;
export type Params = Record<string, unknown>;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Params;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: unknown;
}

export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorBody;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type Classified =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; id: JsonRpcId | null; error: JsonRpcErrorBody };

const isId = (value: unknown): value is JsonRpcId =>
  typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

function invalid(id: JsonRpcId | null, message: string): Classified {
  return { kind: 'invalid', id, error: { code: JsonRpcErrorCode.INVALID_REQUEST, message } };
}

/** Classifies one decoded JSON value (not a batch: callers refuse arrays first). */
export function classify(value: unknown): Classified {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(null, 'Invalid Request: a JSON-RPC message must be an object');
  }
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== '2.0') return invalid(id, 'Invalid Request: jsonrpc must be "2.0"');

  if (typeof message.method === 'string') {
    const params = message.params;
    if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
      return invalid(id, 'Invalid Request: params must be an object');
    }
    if (message.id === undefined) return { kind: 'notification', message: message as unknown as JsonRpcNotification };
    if (!isId(message.id)) return invalid(null, 'Invalid Request: id must be a string or a number');
    return { kind: 'request', message: message as unknown as JsonRpcRequest };
  }
  if ('result' in message || 'error' in message) {
    if (message.id === undefined) return invalid(null, 'Invalid Request: a response needs an id');
    return { kind: 'response', message: message as unknown as JsonRpcResponse };
  }
  return invalid(id, 'Invalid Request: no method, result or error');
}

export interface ParseOutcome {
  ok: boolean;
  value?: unknown;
  error?: JsonRpcErrorBody;
}

export function parseJson(text: string): ParseOutcome {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: { code: JsonRpcErrorCode.PARSE_ERROR, message: 'Parse error: body is not valid JSON' } };
  }
}

/** Serialization kept to one JSON.stringify of a small literal per message. */
export function serializeResult(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

export function serializeError(id: JsonRpcId | null, error: JsonRpcErrorBody): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

export function serializeNotification(method: string, params?: Params): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
}

export function serializeRequest(id: JsonRpcId, method: string, params?: Params): string {
  return JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
}
