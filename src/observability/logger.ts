/**
 * Structured logs with pino. JSON lines in production, pretty in development
 * (formatting runs in pino's worker transport, off the hot path), optional file
 * output. In stdio mode every byte goes to stderr: stdout belongs to the protocol.
 */
import { createRequire } from 'node:module';
import pino, { type Logger, type TransportTargetOptions } from 'pino';
import type { LoggingSettings } from '../chassis/config/index.js';
import { fastAccessLogger, type AccessLogger } from './access-log.js';

export type { Logger };

/** Secrets never logged, whatever the call site passes. */
export const ALWAYS_REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  'secret',
  'token',
  'apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.*.password',
  '*.*.secret',
  '*.*.token',
  '*.*.apiKey',
  'config.protocol.requestStateSecret',
];

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggerOptions {
  /** stdio transport: stdout is the protocol channel. */
  stdio: boolean;
}

function hasPrettyTransport(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export interface Loggers {
  /** The general log, with redaction of secrets and of the configured paths. */
  logger: Logger;
  /**
   * The per-request access log: same level and destination, no redaction pass —
   * its lines are built only from fields mcpd controls (ids, method, tool, timing).
   */
  access: AccessLogger;
  /**
   * Audit events: same destination, written at info even when `logging.level`
   * is higher (an operator quietening the log does not switch off the audit
   * trail); nothing only at `silent`.
   */
  audit: AccessLogger;
}

export function createLoggers(config: LoggingSettings, options: LoggerOptions): Loggers {
  const destination = options.stdio ? 2 : 1;
  const base = {
    level: config.level,
    base: { service: 'mcpd' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const auditLevel = config.level === 'silent' ? 'silent' : 'info';
  // Transport targets filter by level too: let through what the audit logger writes.
  const targetLevel = LEVEL_ORDER.indexOf(config.level) < LEVEL_ORDER.indexOf('info') ? config.level : auditLevel;
  const redact = { paths: [...ALWAYS_REDACTED, ...config.redact], censor: '[REDACTED]' };
  const pretty = config.format === 'pretty' && hasPrettyTransport();
  const targets: TransportTargetOptions[] = [];
  if (pretty) targets.push({ target: 'pino-pretty', level: targetLevel, options: { destination, colorize: false, translateTime: 'SYS:HH:MM:ss.l' } });
  if (config.file) targets.push({ target: 'pino/file', level: targetLevel, options: { destination: config.file, mkdir: true } });
  if (targets.length === 0) {
    const { stream } = bufferedDestination(destination, 250);
    return {
      logger: pino({ ...base, redact }, stream),
      access: fastAccessLogger(stream, config.level, base.base),
      audit: fastAccessLogger(stream, auditLevel, base.base),
    };
  }
  if (!pretty) targets.push({ target: 'pino/file', level: targetLevel, options: { destination } });
  // Transports run in a worker thread: formatting and file I/O stay off the request path.
  const transport = pino.transport({ targets });
  return {
    logger: pino({ ...base, redact, formatters: undefined }, transport),
    access: pino({ ...base, formatters: undefined }, transport),
    audit: pino({ ...base, level: auditLevel, formatters: undefined }, transport),
  };
}

/**
 * A pino destination that gathers lines into 4 KiB writes (one syscall per
 * line would cost more than the line) and flushes at least every `flushEveryMs`
 * so a quiet server's output is never stale. `dest`: a file descriptor or path.
 */
export function bufferedDestination(dest: number | string, flushEveryMs: number) {
  const stream = pino.destination({ dest, sync: false, minLength: 4096, mkdir: typeof dest === 'string' });
  const timer = setInterval(() => {
    if ((stream as unknown as { fd: number }).fd >= 0) stream.flush();
  }, flushEveryMs);
  timer.unref();
  return { stream, stopFlushing: () => clearInterval(timer) };
}

export function createLogger(config: LoggingSettings, options: LoggerOptions): Logger {
  return createLoggers(config, options).logger;
}
