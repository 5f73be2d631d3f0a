/**
 * The per-request access line, written straight to the log destination. Its
 * shape is fixed and every field is built by mcpd, so instead of pino's generic
 * serializer (hooks, serializers, redaction) the line is assembled by hand — it
 * runs once per request. The output is the same JSON the general pino log
 * writes (`level` label, ISO `time`, base bindings, fields, `msg`).
 */


export interface AccessLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY } as const;

export interface LineSink {
  write(line: string): unknown;
}

export function fastAccessLogger(sink: LineSink, level: keyof typeof LEVELS, bindings: Record<string, string>): AccessLogger {
  const threshold = LEVELS[level];
  let prefix = '';
  for (const [key, value] of Object.entries(bindings)) prefix += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  // Many lines share a millisecond under load: format the timestamp once per millisecond.
  let lastMs = 0;
  let lastTime = '';
  const write = (label: string, fields: Record<string, unknown>, message: string) => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = new Date(now).toISOString();
    }
    let line = `{"level":"${label}","time":"${lastTime}"${prefix}`;
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) line += `,"${key}":${typeof value === 'number' ? value : JSON.stringify(value)}`;
    }
    sink.write(`${line},"msg":${JSON.stringify(message)}}\n`);
  };
  return {
    info: threshold <= 30 ? (fields, message) => write('info', fields, message) : () => {},
    warn: threshold <= 40 ? (fields, message) => write('warn', fields, message) : () => {},
    error: threshold <= 50 ? (fields, message) => write('error', fields, message) : () => {},
  };
}

