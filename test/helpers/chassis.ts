/**
 * In-process mcpd (createMcpd) for chassis tests: a validated config with
 * overrides, an in-memory pino logger configured like the production one
 * (same redaction paths, level labels), and Prometheus text parsing.
 */
import pino, { type Logger } from 'pino';
import { createMcpd, type Mcpd, type McpdOptions } from '../../src/app/mcpd.js';
import { configSchema, type McpdConfig, type McpdConfigInput } from '../../src/app/config.js';
import { ALWAYS_REDACTED } from '../../src/observability/logger.js';

export interface MemoryLogger {
  logger: Logger;
  /** Parsed JSON lines, in order. */
  lines: any[];
  /** Every byte written, for "never logged" checks. */
  text(): string;
}

/** A pino logger with the production options of createLogger(), writing JSON lines to memory. */
export function memoryLogger(level: McpdConfig['logging']['level'] = 'info', extraRedact: string[] = []): MemoryLogger {
  const lines: any[] = [];
  let all = '';
  const stream = {
    write(chunk: string) {
      all += chunk;
      for (const text of chunk.split('\n')) if (text) lines.push(JSON.parse(text));
    },
  };
  const logger = pino(
    {
      level,
      base: { service: 'mcpd' },
      redact: { paths: [...ALWAYS_REDACTED, ...extraRedact], censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    stream,
  );
  return { logger, lines, text: () => all };
}

/** A silent logger (tests that do not look at logs). */
export const silentLogger = (): Logger => pino({ level: 'silent' });

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** A valid config for tests: loopback, any free port, quiet; sections overridden key by key. */
export function testConfig(overrides: DeepPartial<McpdConfigInput> = {}): McpdConfig {
  // The embedded database stays off unless a test asks for it: it costs seconds and memory per server.
  const base: Record<string, any> = { environment: 'test', http: { host: '127.0.0.1', port: 0 }, logging: { level: 'silent' }, database: { embedded: { enabled: false } } };
  for (const [section, value] of Object.entries(overrides)) {
    base[section] = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(base[section] ?? {}), ...value } : value;
  }
  return configSchema.parse(base);
}

export interface StartedMcpd {
  mcpd: Mcpd;
  /** The MCP endpoint URL. */
  url: string;
  /** http://127.0.0.1:port */
  origin: string;
  shutdown(): Promise<{ clean: boolean }>;
}

/** createMcpd + start on an ephemeral loopback port. */
export async function startMcpd(config: McpdConfig, options: McpdOptions = {}): Promise<StartedMcpd> {
  const mcpd = createMcpd(config, { logger: silentLogger(), ...options, transport: 'http' });
  await mcpd.start();
  const url = mcpd.http!.url;
  let stopped: Promise<{ clean: boolean }> | undefined;
  return { mcpd, url, origin: new URL(url).origin, shutdown: () => (stopped ??= mcpd.shutdown('test')) };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (samples only). */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

/** The value of one sample, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

export async function scrape(origin: string, path = '/metrics') {
  const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text, ...parsePrometheus(text) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolver (a gate a test opens). */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export const TRACE_ID = /^[\da-f]{32}$/;
export const randomHex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
