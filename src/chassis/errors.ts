/**
 * The one error taxonomy of mcpd. Every failure that can reach a client is an
 * `McpdError` with a stable `code`; the protocol engine maps it once, here, to a
 * JSON-RPC error or to a tool result with `isError: true`.
 *
 * Messages of `INTERNAL` errors never leave the process: the client sees a
 * generic text and the request id, the log sees the cause.
 */

export const ErrorCode = {
  VALIDATION_ERROR: 'VALIDATION_ERROR',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_FOUND: 'METHOD_NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  UNAVAILABLE: 'UNAVAILABLE',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** JSON-RPC 2.0 and MCP error codes used on the wire. */
export const JsonRpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  /** 2026-07-28: the requested protocol version is not supported. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
  INTERNAL_ERROR: -32603,
  /** 2025-era: resource not found. */
  RESOURCE_NOT_FOUND: -32002,
  /** 2025-era SDKs: URL elicitation required. */
  URL_ELICITATION_REQUIRED: -32042,
  /** 2026-07-28: the HTTP headers disagree with the body. */
  HEADER_MISMATCH: -32020,
  /** 2026-07-28: the request needs a client capability that was not declared. */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** mcpd server-defined codes (JSON-RPC reserves -32000..-32099 for servers). */
  UNAUTHENTICATED: -32001,
  PERMISSION_DENIED: -32003,
  RATE_LIMITED: -32029,
  TIMEOUT: -32008,
  CANCELLED: -32800,
  UNAVAILABLE: -32005,
  UPSTREAM_ERROR: -32006,
  CONFLICT: -32009,
} as const;

const JSON_RPC_CODE_OF: Record<ErrorCode, number> = {
  VALIDATION_ERROR: JsonRpcErrorCode.INVALID_PARAMS,
  UNAUTHENTICATED: JsonRpcErrorCode.UNAUTHENTICATED,
  PERMISSION_DENIED: JsonRpcErrorCode.PERMISSION_DENIED,
  NOT_FOUND: JsonRpcErrorCode.INVALID_PARAMS,
  METHOD_NOT_FOUND: JsonRpcErrorCode.METHOD_NOT_FOUND,
  CONFLICT: JsonRpcErrorCode.CONFLICT,
  RATE_LIMITED: JsonRpcErrorCode.RATE_LIMITED,
  TIMEOUT: JsonRpcErrorCode.TIMEOUT,
  CANCELLED: JsonRpcErrorCode.CANCELLED,
  UNAVAILABLE: JsonRpcErrorCode.UNAVAILABLE,
  UPSTREAM_ERROR: JsonRpcErrorCode.UPSTREAM_ERROR,
  INTERNAL: JsonRpcErrorCode.INTERNAL_ERROR,
};

/** The HTTP status a whole-request refusal of this kind suggests (auth, limits, overload). */
export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  TIMEOUT: 504,
  CANCELLED: 499,
  UNAVAILABLE: 503,
  UPSTREAM_ERROR: 502,
  INTERNAL: 500,
};

export interface McpdErrorOptions {
  cause?: unknown;
  /** Extra facts safe to show a client (put into JSON-RPC `error.data`). */
  data?: Record<string, unknown>;
  /** Override the JSON-RPC code (protocol errors that have a spec-given code). */
  jsonRpcCode?: number;
  /** When the caller may retry, in milliseconds. */
  retryAfterMs?: number;
  /**
   * The failure refuses the whole request (a JSON-RPC error) even inside a tool
   * call, instead of becoming a tool result with `isError`. Used for protocol
   * conditions such as a missing client capability.
   */
  protocol?: boolean;
  /**
   * The HTTP status of a refusal of the whole HTTP request. Left unset, a
   * JSON-RPC error travels in-band with 200 like any response.
   */
  httpStatus?: number;
}

export class McpdError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;
  readonly jsonRpcCode: number;
  readonly retryAfterMs: number | undefined;
  readonly protocol: boolean;
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: McpdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpdError';
    this.code = code;
    this.data = options.data;
    this.jsonRpcCode = options.jsonRpcCode ?? JSON_RPC_CODE_OF[code];
    this.retryAfterMs = options.retryAfterMs;
    this.protocol = options.protocol ?? false;
    this.httpStatus = options.httpStatus;
  }
}

export const isMcpdError = (value: unknown): value is McpdError => value instanceof McpdError;

/** Turns anything thrown into an McpdError; unknown failures become INTERNAL. */
export function normalizeError(error: unknown): McpdError {
  if (error instanceof McpdError) return error;
  if (isAbortError(error)) return new McpdError('CANCELLED', 'Request was cancelled', { cause: error });
  return new McpdError('INTERNAL', 'Internal error', { cause: error });
}

export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { name?: unknown }).name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
  );
}

/** The text a client may see: internal messages are replaced, never forwarded. */
export function publicMessage(error: McpdError): string {
  return error.code === 'INTERNAL' ? 'Internal error' : error.message;
}

export interface JsonRpcErrorBody {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

export function toJsonRpcError(error: McpdError): JsonRpcErrorBody {
  const data: Record<string, unknown> = error.data === undefined ? {} : { ...error.data };
  data.errorCode = error.code;
  if (error.retryAfterMs !== undefined) data.retryAfterMs = error.retryAfterMs;
  return { code: error.jsonRpcCode, message: publicMessage(error), data };
}

export interface ToolErrorResult {
  content: [{ type: 'text'; text: string }];
  isError: true;
  _meta: { 'dev.mcpd/error': { code: ErrorCode; retryAfterMs?: number } };
}

/** A tool's failure as a tool result: the model can read it and recover. */
export function toToolErrorResult(error: McpdError): ToolErrorResult {
  const retry = error.retryAfterMs === undefined ? '' : ` (retry after ${Math.ceil(error.retryAfterMs / 1000)} s)`;
  const meta: { code: ErrorCode; retryAfterMs?: number } = { code: error.code };
  if (error.retryAfterMs !== undefined) meta.retryAfterMs = error.retryAfterMs;
  return {
    content: [{ type: 'text', text: `${error.code}: ${publicMessage(error)}${retry}` }],
    isError: true,
    _meta: { 'dev.mcpd/error': meta },
  };
}
