/**
 * Loading the configuration in layers — built-in defaults < config/<environment>.yaml
 * < MCPD_* environment variables < command-line flags — and validating the
 * result against the one schema. Every error names its source (file,
 * environment variable or flag), the key path, what was expected and what was
 * found. Nothing is read at import time: the CLI decides which file first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ConfigSecrets } from './schema.js';

export interface ConfigIssue {
  /** Where the offending value came from: a file path, `env MCPD_…`, `flag --…`, or `defaults`. */
  source: string;
  /** Dotted key path, e.g. `http.port`. */
  path: string;
  expected: string;
  found: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  ${issue.source}: ${issue.path || '(root)'}: expected ${issue.expected}, found ${issue.found}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** An explicit config file (`--config`); otherwise MCPD_CONFIG, then config/<environment>.yaml. */
  file?: string;
  /** Overrides from command-line flags, as a partial config; `sources` names each flag for errors. */
  flags?: Record<string, unknown>;
  flagSources?: Record<string, string>;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** What a loader loads: the composed schema and which of its keys are secrets (src/app/config.ts builds mcpd's). */
export interface ConfigSpec<Schema extends z.ZodType> {
  schema: Schema;
  secrets: ConfigSecrets;
}

export interface LoadedConfig<Config = unknown> {
  config: Config;
  /** The file that was read, if any. */
  file: string | undefined;
  /** Where each set key came from (dotted path → source). */
  origins: ReadonlyMap<string, string>;
}

const RESERVED_ENV = new Set(['MCPD_ENV', 'MCPD_ENVIRONMENT', 'MCPD_CONFIG']);
/**
 * Variables Kubernetes injects for a Service named `mcpd` (service links):
 * not configuration, and not typos either.
 */
const SERVICE_LINK_ENV = /^MCPD_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

/** The package's own directory (shipped config/), found from this module whether bundled or not. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'mcpd') return dir;
      } catch {
        // not ours; keep walking up
      }
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `MAX_BODY_BYTES` → `maxBodyBytes`. */
function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, next: string) => next.toUpperCase());
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Merges `layer` into `target`, recording the source of every leaf it sets. */
function mergeLayer(target: Record<string, unknown>, layer: Record<string, unknown>, source: string, origins: Map<string, string>, prefix = ''): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(value)) {
      const existing = target[key];
      const child = isObject(existing) ? existing : {};
      target[key] = child;
      origins.set(path, source);
      mergeLayer(child, value, source, origins, path);
    } else {
      target[key] = value;
      origins.set(path, source);
    }
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    node = isObject(next) ? next : (node[segment] = {});
  }
  node[path[path.length - 1]!] = value;
}

function parseEnvValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed === '') return raw;
  if (/^(true|false|null|-?\d+(\.\d+)?|\[.*\]|\{.*\})$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return raw;
    }
  }
  return raw;
}

function findDefaultFile(environment: string, cwd: string): string | undefined {
  for (const base of [cwd, packageRoot()]) {
    const candidate = join(base, 'config', `${environment}.yaml`);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function readFileLayer(file: string, issues: ConfigIssue[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    issues.push({ source: file, path: '', expected: 'a readable YAML file', found: (error as NodeJS.ErrnoException).code ?? 'an unreadable file' });
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    issues.push({ source: file, path: '', expected: 'valid YAML', found: (error as Error).message.split('\n')[0]! });
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) {
    issues.push({ source: file, path: '', expected: 'a mapping of configuration keys', found: describe(parsed) });
    return {};
  }
  return parsed;
}

function envLayer(env: Record<string, string | undefined>, secrets: ConfigSecrets, origins: Map<string, string>, issues: ConfigIssue[]): Record<string, unknown> {
  const layer: Record<string, unknown> = {};
  const secretEnvPaths = new Set(secrets.paths);
  const structured = new Set(secrets.structured);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('MCPD_') || RESERVED_ENV.has(name) || SERVICE_LINK_ENV.test(name) || raw === undefined) continue;
    let segments = name.slice(5).split('__').map(camel);
    let value: unknown = parseEnvValue(raw);
    const last = segments[segments.length - 1]!;
    if (last.endsWith('File') && secretEnvPaths.has([...segments.slice(0, -1), last.slice(0, -4)].join('.'))) {
      segments = [...segments.slice(0, -1), last.slice(0, -4)];
      try {
        const content = readFileSync(raw, 'utf8').trim();
        value = structured.has(segments.join('.')) ? parseEnvValue(content) : content;
      } catch (error) {
        issues.push({ source: `env ${name}`, path: segments.join('.'), expected: 'a readable secret file', found: (error as NodeJS.ErrnoException).code ?? 'an unreadable file' });
        continue;
      }
    } else if (secretEnvPaths.has(segments.join('.'))) {
      // A secret is taken verbatim (a numeric-looking key stays a string), unless its shape is JSON.
      value = structured.has(segments.join('.')) ? parseEnvValue(raw) : raw;
    }
    setPath(layer, segments, value);
    origins.set(segments.join('.'), `env ${name}`);
  }
  return layer;
}

function sourceOf(path: string, origins: ReadonlyMap<string, string>): string {
  for (let cut = path; cut !== ''; cut = cut.includes('.') ? cut.slice(0, cut.lastIndexOf('.')) : '') {
    const source = origins.get(cut);
    if (source) return source;
  }
  return 'defaults';
}

function getPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const segment of path) node = isObject(node) ? node[segment as string] : undefined;
  return node;
}

function issuesOf(error: z.ZodError, merged: unknown, origins: ReadonlyMap<string, string>, secrets: ConfigSecrets): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...base, key].join('.');
        issues.push({ source: sourceOf(path, origins), path, expected: 'no such key (unknown keys are refused)', found: describe(getPath(merged, [...base, key])) });
      }
      continue;
    }
    const path = base.join('.');
    const expected = issue.message
      .replace(/^(Invalid input|Too small|Too big): /, '')
      .replace(/, received .*$/, '')
      .replace(/^expected /, '');
    // A rejected secret is still a secret: never echo it.
    const found = secrets.paths.includes(path) ? '[REDACTED]' : describe(getPath(merged, issue.path));
    issues.push({ source: sourceOf(path, origins), path, expected, found });
  }
  return issues;
}

/** Loads and validates a configuration against `spec` (mcpd's is `loadConfig` in src/app/config.ts). */
export function loadConfigWith<Schema extends z.ZodType>(spec: ConfigSpec<Schema>, options: LoadOptions = {}): LoadedConfig<z.output<Schema>> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const origins = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const merged: Record<string, unknown> = {};

  const flagEnvironment = options.flags?.environment;
  const environment = (typeof flagEnvironment === 'string' ? flagEnvironment : undefined) ?? env.MCPD_ENV ?? env.MCPD_ENVIRONMENT ?? env.NODE_ENV ?? 'development';
  const explicit = options.file ?? env.MCPD_CONFIG;
  const file = explicit !== undefined ? (isAbsolute(explicit) ? explicit : resolve(cwd, explicit)) : findDefaultFile(environment, cwd);

  merged.environment = environment;
  if (file) {
    const layer = readFileLayer(file, issues);
    for (const secret of spec.secrets.paths) {
      if (getPath(layer, secret.split('.')) !== undefined) {
        issues.push({ source: file, path: secret, expected: 'a secret from the environment or a *_FILE, never a config file', found: '[REDACTED]' });
      }
    }
    mergeLayer(merged, layer, file, origins);
  }
  mergeLayer(merged, envLayer(env, spec.secrets, origins, issues), 'env', new Map());
  if (options.flags) {
    const flagOrigins = new Map<string, string>();
    mergeLayer(merged, options.flags, 'flag', flagOrigins);
    for (const path of flagOrigins.keys()) origins.set(path, options.flagSources?.[path] ?? 'command line');
  }
  merged.environment ??= environment;

  const parsed = spec.schema.safeParse(merged);
  if (!parsed.success) issues.push(...issuesOf(parsed.error, merged, origins, spec.secrets));
  if (issues.length > 0) throw new ConfigError(issues);
  return { config: parsed.data!, file, origins };
}

/** A copy safe to print or serve: every secret replaced. */
export function redactConfigWith(secrets: ConfigSecrets, config: unknown): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const secret of secrets.paths) {
    const path = secret.split('.');
    if (getPath(copy, path) !== undefined) setPath(copy, path, '[REDACTED]');
  }
  return copy;
}
