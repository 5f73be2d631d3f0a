/**
 * The audit trail: one event per tool call and resource read — who (identity,
 * client), what (tool or resource, a digest of the arguments), how it ended
 * and how long it took. Argument values are never recorded: the digest proves
 * which arguments were used when compared with a candidate, and fields a tool
 * marks sensitive are left out of it entirely (a digest of a short secret could
 * be brute-forced).
 *
 * Events go to sinks: the log stream by default, a JSON-lines file when
 * configured, and any `AuditSink` an embedder adds (a SIEM forwarder, a
 * database table). A sink must not throw or block: it is called on the
 * request path after the response is settled.
 */
import { createHash } from 'node:crypto';
import { bufferedDestination } from '../observability/logger.js';
import type { AccessLogger } from '../observability/access-log.js';
import type { RequestObserver } from '../observability/instrumentation.js';
import type { RequestContext } from '../protocol/context.js';
import { MetaKey } from '../protocol/versions.js';

export interface AuditEvent {
  /** ISO 8601 time the request arrived. */
  time: string;
  event: 'tool_call' | 'resource_read';
  request_id: string | undefined;
  /** The authenticated subject; null for anonymous callers. */
  identity: string | null;
  auth_method: string | undefined;
  transport: string;
  client_address: string | undefined;
  client_name: string | undefined;
  client_version: string | undefined;
  session_id: string | undefined;
  /** The tool name or the resource URI. */
  target: string;
  /** `sha256:` + hex of the canonical JSON of the arguments, sensitive fields removed (tool calls). */
  argument_digest: string | undefined;
  /** ok · tool_error (the tool returned isError) · error (the request failed) · task / input_required (answered for later). */
  outcome: string;
  error_code: string | undefined;
  task_id: string | undefined;
  duration_ms: number;
}

export interface AuditSink {
  write(event: AuditEvent): void;
  /** Flushes and releases the sink at shutdown. */
  close?(): void | Promise<void>;
}

const REDACTED = '[REDACTED]';

/**
 * Canonical JSON (object keys sorted at every depth) with every property named
 * in `sensitive` replaced, at any depth, by a fixed marker — so equal arguments
 * give equal digests whatever their key order, and no secret feeds the hash.
 */
export function canonicalArguments(value: unknown, sensitive: ReadonlySet<string>): string {
  return JSON.stringify(value, function replacer(this: unknown, key: string, inner: unknown) {
    if (key !== '' && sensitive.has(key) && !Array.isArray(this)) return REDACTED;
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(inner).sort()) sorted[name] = (inner as Record<string, unknown>)[name];
    return sorted;
  });
}

export function argumentDigest(value: unknown, sensitive: ReadonlySet<string>): string {
  return `sha256:${createHash('sha256').update(canonicalArguments(value ?? {}, sensitive)).digest('hex')}`;
}

const NO_FIELDS: ReadonlySet<string> = new Set();

function clientInfoOf(ctx: RequestContext): Record<string, unknown> | undefined {
  const fromSession = ctx.session?.clientInfo;
  if (fromSession) return fromSession;
  const fromMeta = ctx.meta[MetaKey.clientInfo];
  return typeof fromMeta === 'object' && fromMeta !== null ? (fromMeta as Record<string, unknown>) : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function outcomeOf(ctx: RequestContext): Pick<AuditEvent, 'outcome' | 'error_code' | 'task_id'> {
  if (ctx.error) return { outcome: 'error', error_code: ctx.error.code, task_id: undefined };
  const result = ctx.result as { isError?: boolean; resultType?: unknown; _meta?: Record<string, unknown>; task?: { taskId?: unknown }; taskId?: unknown } | undefined;
  if (result?.isError === true) {
    const meta = result._meta?.['dev.mcpd/error'] as { code?: unknown } | undefined;
    return { outcome: 'tool_error', error_code: text(meta?.code), task_id: undefined };
  }
  const kind = result?.resultType;
  if (typeof kind === 'string' && kind !== 'complete') return { outcome: kind, error_code: undefined, task_id: text(result?.task?.taskId ?? result?.taskId) };
  if (result?.task && typeof result.task === 'object') return { outcome: 'task', error_code: undefined, task_id: text(result.task.taskId) };
  return { outcome: 'ok', error_code: undefined, task_id: undefined };
}

/** The instrumentation observer that builds an event for every tool call and resource read. */
export function auditObserver(
  sinks: readonly AuditSink[],
  /** Argument fields a tool marks sensitive. */
  sensitiveFieldsOf: (tool: string) => readonly string[] | undefined = () => undefined,
): RequestObserver<number | undefined> {
  const sensitiveSets = new Map<string, ReadonlySet<string>>();
  const sensitiveOf = (tool: string): ReadonlySet<string> => {
    let set = sensitiveSets.get(tool);
    if (!set) {
      const fields = sensitiveFieldsOf(tool);
      set = fields?.length ? new Set(fields) : NO_FIELDS;
      if (sensitiveSets.size < 10_000) sensitiveSets.set(tool, set);
    }
    return set;
  };
  return {
    start(ctx) {
      return ctx.method === 'tools/call' || ctx.method === 'resources/read' ? Date.now() : undefined;
    },
    finish(ctx, startedAt) {
      if (startedAt === undefined) return;
      const isTool = ctx.method === 'tools/call';
      const target = text(isTool ? ctx.params.name : ctx.params.uri) ?? '';
      const client = clientInfoOf(ctx);
      const event: AuditEvent = {
        time: new Date(startedAt).toISOString(),
        event: isTool ? 'tool_call' : 'resource_read',
        request_id: ctx.requestId,
        identity: ctx.identity?.subject ?? null,
        auth_method: ctx.identity?.method,
        transport: ctx.transport,
        client_address: ctx.exchange.clientAddress,
        client_name: text(client?.name),
        client_version: text(client?.version),
        session_id: ctx.session?.id,
        target,
        argument_digest: isTool ? argumentDigest(ctx.params.arguments, sensitiveOf(target)) : undefined,
        ...outcomeOf(ctx),
        duration_ms: Math.round(ctx.elapsedMs() * 1000) / 1000,
      };
      for (const sink of sinks) {
        try {
          sink.write(event);
        } catch {
          // An audit sink's failure must not fail the request it records.
        }
      }
    },
  };
}

/** The default sink: one `audit` line per event on the log stream. */
export function logAuditSink(logger: AccessLogger): AuditSink {
  return {
    write(event) {
      const { time: _time, ...fields } = event;
      logger.info({ audit: true, ...fields }, 'audit');
    },
  };
}

/** JSON lines appended to a file (buffered, flushed at shutdown). */
export function fileAuditSink(path: string): AuditSink {
  const { stream, stopFlushing } = bufferedDestination(path, 1000);
  return {
    write(event) {
      stream.write(`${JSON.stringify(event)}\n`);
    },
    async close() {
      stopFlushing();
      if ((stream as unknown as { fd: number }).fd < 0) await new Promise((resolve) => stream.once('ready', resolve));
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.end();
      });
    },
  };
}
