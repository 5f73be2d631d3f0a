/**
 * Request logging (an observer of the instrumentation layer): one line per JSON-RPC request on completion, carrying the
 * correlation id (X-Request-Id, else the trace id of traceparent, else
 * generated), session, method, tool, identity, outcome and duration. Handlers
 * get a child logger with the same fields through `ctx.logger`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessLogger } from './access-log.js';
import type { RequestContext } from '../protocol/context.js';
import type { RequestObserver } from './instrumentation.js';

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
export function requestLogObserver(
  logger: Logger,
  accessLogger: AccessLogger = logger,
  /** Argument fields a tool marks sensitive: redacted in its handler's log lines. */
  sensitiveFieldsOf: (tool: string) => readonly string[] | undefined = () => undefined,
  /** The logger's own redaction paths (a child's redaction replaces its parent's, so they are repeated). */
  baseRedact: readonly string[] = [],
): RequestObserver<Record<string, unknown>> {
  return {
    start(ctx) {
      const requestId = correlationIdOf(ctx);
      ctx.requestId = requestId;
      const fields: Record<string, unknown> = { request_id: requestId, method: ctx.method, transport: ctx.transport };
      if (ctx.session) fields.session_id = ctx.session.id;
      if (ctx.method === 'tools/call' && typeof ctx.params.name === 'string') fields.tool = ctx.params.name;
      if (ctx.identity) fields.identity = ctx.identity.subject;
      // The child logger is built only if a handler asks for it.
      let child: Logger | undefined;
      ctx.loggerFactory = () => {
        if (child) return child;
        const sensitive = typeof fields.tool === 'string' ? sensitiveFieldsOf(fields.tool) : undefined;
        child = sensitive?.length
          ? logger.child(fields, {
              redact: { paths: [...baseRedact, ...sensitive.flatMap((field) => [field, `*.${field}`, `*.*.${field}`])], censor: '[REDACTED]' },
            })
          : logger.child(fields);
        return child;
      };
      return fields;
    },
    finish(ctx, fields) {
      fields.duration_ms = Math.round(ctx.elapsedMs() * 1000) / 1000;
      if (ctx.error) {
        fields.error_code = ctx.error.code;
        fields.jsonrpc_code = ctx.error.jsonRpcCode;
        accessLogger[ctx.error.code === 'INTERNAL' ? 'error' : 'warn'](fields, 'request failed');
      } else {
        if ((ctx.result as { isError?: boolean } | undefined)?.isError === true) fields.tool_error = true;
        accessLogger.info(fields, 'request completed');
      }
    },
  };
}
