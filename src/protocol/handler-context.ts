/**
 * The context object handed to tool, resource, prompt and completion handlers.
 * One per call, a class so its methods live on the prototype.
 */
import type {
  ClientLogger,
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
  Identity,
  ListRootsResult,
  LogLevel,
  ServerLogger,
  ToolContext,
  Transport,
} from '../api/types.js';
import type { RequestContext } from './context.js';
import type { InputChannel } from './input.js';
import { serializeNotification, type Params } from './jsonrpc.js';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const SEVERITY: Record<LogLevel, number> = Object.fromEntries(LOG_LEVELS.map((level, index) => [level, index])) as Record<LogLevel, number>;

const LEVEL_SET: ReadonlySet<unknown> = new Set(LOG_LEVELS);
export const isLogLevel = (value: unknown): value is LogLevel => LEVEL_SET.has(value);

export function shouldLog(threshold: LogLevel | undefined, level: LogLevel): boolean {
  return threshold !== undefined && SEVERITY[level] >= SEVERITY[threshold];
}

class ClientLog implements ClientLogger {
  constructor(private readonly context: HandlerContextImpl) {}
  log(level: LogLevel, data: unknown, logger?: string): void {
    this.context.sendLog(level, data, logger);
  }
  debug(data: unknown): void {
    this.log('debug', data);
  }
  info(data: unknown): void {
    this.log('info', data);
  }
  notice(data: unknown): void {
    this.log('notice', data);
  }
  warning(data: unknown): void {
    this.log('warning', data);
  }
  error(data: unknown): void {
    this.log('error', data);
  }
  critical(data: unknown): void {
    this.log('critical', data);
  }
  alert(data: unknown): void {
    this.log('alert', data);
  }
  emergency(data: unknown): void {
    this.log('emergency', data);
  }
}

const SILENT: ServerLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class HandlerContextImpl implements ToolContext {
  private clientLog: ClientLog | undefined;
  /** What a tool's `prepare` step produced, for its handler. */
  prepared: unknown = undefined;

  constructor(
    readonly request: RequestContext,
    /** The era's input channel, or a factory that builds it on first use (most calls never ask). */
    private input: InputChannel | (() => InputChannel | undefined) | undefined,
    /** Where related notifications go; default: the request's own stream. */
    private readonly emit: (message: string) => void = (message) => request.exchange.send(message),
    /** Overrides the request's signal (a task outlives its request). */
    private readonly signalOverride?: AbortSignal,
  ) {}

  get requestId(): string | number {
    return this.request.id;
  }
  get method(): string {
    return this.request.method;
  }
  get identity(): Identity | undefined {
    return this.request.identity;
  }
  get signal(): AbortSignal {
    return this.signalOverride ?? this.request.signal;
  }
  onAbort(listener: (reason: unknown) => void): () => void {
    const override = this.signalOverride;
    if (!override) return this.request.onAbort(listener);
    // As on the request path: a faulty listener is logged; thrown from an AbortSignal listener it would crash the process.
    const onAbort = () => {
      try {
        listener(override.reason);
      } catch (error) {
        this.logger.error({ err: error }, 'an abort listener threw');
      }
    };
    if (override.aborted) {
      onAbort();
      return () => {};
    }
    override.addEventListener('abort', onAbort, { once: true });
    return () => override.removeEventListener('abort', onAbort);
  }
  get transport(): Transport {
    return this.request.transport;
  }
  get protocolVersion(): string {
    return this.request.protocolVersion;
  }
  get sessionId(): string | undefined {
    return this.request.session?.id;
  }
  get meta(): Readonly<Record<string, unknown>> {
    return this.request.meta;
  }
  get logger(): ServerLogger {
    return this.request.loggerFactory?.() ?? SILENT;
  }
  get traceContext(): unknown {
    return this.request.traceContext;
  }
  get clientCapabilities(): Readonly<Record<string, unknown>> {
    return this.request.clientCapabilities;
  }
  get log(): ClientLogger {
    return (this.clientLog ??= new ClientLog(this));
  }

  sendLog(level: LogLevel, data: unknown, logger?: string): void {
    if (!shouldLog(this.request.logLevel, level)) return;
    const params: Params = logger === undefined ? { level, data } : { level, logger, data };
    this.emit(serializeNotification('notifications/message', params));
  }

  progress(progress: number, total?: number, message?: string): void {
    const token = this.request.meta.progressToken;
    if (token === undefined || this.request.aborted) return;
    const params: Params = { progressToken: token, progress };
    if (total !== undefined) params.total = total;
    if (message !== undefined) params.message = message;
    this.emit(serializeNotification('notifications/progress', params));
  }

  closeStream(): void {
    this.request.exchange.closeStream?.();
  }

  elicit(request: ElicitRequest, key?: string): Promise<ElicitResult> {
    return this.ask('elicitation/create', request as unknown as Params, key) as Promise<unknown> as Promise<ElicitResult>;
  }

  sample(request: CreateMessageRequest, key?: string): Promise<CreateMessageResult> {
    return this.ask('sampling/createMessage', request as unknown as Params, key) as Promise<unknown> as Promise<CreateMessageResult>;
  }

  listRoots(key?: string): Promise<ListRootsResult> {
    return this.ask('roots/list', {}, key) as Promise<unknown> as Promise<ListRootsResult>;
  }

  private ask(method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list', params: Params, key?: string) {
    try {
      if (typeof this.input === 'function') this.input = this.input();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.input) return Promise.reject(new Error(`${method} is not available in this context`));
    return this.input.request(method, params, key);
  }
}
