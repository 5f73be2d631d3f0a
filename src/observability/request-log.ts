/**
 * Request logging: one line per JSON-RPC request on completion, carrying the
 * correlation id (X-Request-Id, else the trace id of traceparent, else
 * generated), session, method, tool, identity, outcome and duration. Handlers
 * get a child logger with the same fields through `ctx.logger`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessLogger } from './access-log.js';
import type { RequestContext } from '../protocol/context.js';
import type { ServerMiddleware } from '../protocol/engine.js';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
// Generated ids: a random per-process prefix and a counter — unique across replicas, and far cheaper than a UUID per request.
const PREFIX = randomBytes(6).toString('base64url');
let sequence = 0;
const nextRequestId = (): string => `${PREFIX}-${(++sequence).toString(36)}`;
const REQUEST_ID = /^[\w.:/=+-]{1,128}$/;

export function correlationIdOf(ctx: RequestContext): string {
  const header = ctx.exchange.header;
  const given = header?.('x-request-id');
  if (given !== undefined && REQUEST_ID.test(given)) return given;
  const traceparent = typeof ctx.meta.traceparent === 'string' ? ctx.meta.traceparent : header?.('traceparent');
  const trace = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  return trace ? trace[1]! : nextRequestId();
}

/**
 * `logger` (with redaction) serves handlers; `accessLogger` writes the
 * per-request line, whose fields are all built here and need no redaction pass.
 */
export function requestLogMiddleware(logger: Logger, accessLogger: AccessLogger = logger): ServerMiddleware {
  return async (ctx, next) => {
    const requestId = correlationIdOf(ctx);
    ctx.requestId = requestId;
    const fields: Record<string, unknown> = { request_id: requestId, method: ctx.method, transport: ctx.transport };
    if (ctx.session) fields.session_id = ctx.session.id;
    if (ctx.method === 'tools/call' && typeof ctx.params.name === 'string') fields.tool = ctx.params.name;
    if (ctx.identity) fields.identity = ctx.identity.subject;
    // The child logger is built only if a handler asks for it.
    let child: Logger | undefined;
    ctx.loggerFactory = () => (child ??= logger.child(fields));
    await next();
    const durationMs = Math.round(ctx.elapsedMs() * 1000) / 1000;
    if (ctx.error) {
      const level = ctx.error.code === 'INTERNAL' ? 'error' : 'warn';
      fields.duration_ms = durationMs;
      fields.error_code = ctx.error.code;
      fields.jsonrpc_code = ctx.error.jsonRpcCode;
      accessLogger[level](fields, 'request failed');
    } else {
      fields.duration_ms = durationMs;
      if ((ctx.result as { isError?: boolean } | undefined)?.isError === true) fields.tool_error = true;
      accessLogger.info(fields, 'request completed');
    }
  };
}
