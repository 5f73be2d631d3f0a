/**
 * Layered configuration: defaults < config file < MCPD_* environment < flags,
 * strict keys in every layer with errors that name source, key, expectation
 * and value, secrets only from the environment, and the derived JSON Schema
 * kept in sync with the zod schema.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configJsonSchema, configSchema, loadConfig, redactConfig, SECRET_PATHS, type ConfigIssue } from './config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'S3cr3t-value-that-is-long-enough-0123456789';
/** An environment name with no shipped file, so no config/<env>.yaml is picked up from cwd or the package. */
const NO_FILE_ENV = { MCPD_ENV: 'unit-no-such-env' };

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpd-config-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeYaml(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Runs loadConfig expecting a ConfigError; returns its issues. */
function issuesOf(run: () => unknown): { issues: ConfigIssue[]; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return { issues: error.issues, message: error.message };
  }
  assert.fail('expected loadConfig to throw a ConfigError');
}

function findIssue(issues: ConfigIssue[], path: string): ConfigIssue {
  const issue = issues.find((candidate) => candidate.path === path);
  assert.ok(issue, `an issue for ${path} among ${JSON.stringify(issues)}`);
  return issue;
}

describe('defaults', () => {
  test('with no file, env or flags every key has its documented default', () => {
    const { config, file, origins } = loadConfig({ env: NO_FILE_ENV, cwd: dir });
    assert.equal(file, undefined);
    assert.equal(config.environment, 'unit-no-such-env');
    assert.equal(config.server.name, 'mcpd');
    assert.equal(config.server.transport, 'http');
    assert.equal(config.http.host, '127.0.0.1');
    assert.equal(config.http.port, 3000);
    assert.equal(config.http.path, '/mcp');
    assert.equal(config.http.maxBodyBytes, 4 * 1024 * 1024);
    assert.equal(config.http.dnsRebindingProtection, true);
    assert.deepEqual(config.http.allowedOrigins, []);
    assert.equal(config.logging.level, 'info');
    assert.equal(config.logging.format, 'json');
    assert.equal(config.metrics.enabled, true);
    assert.equal(config.metrics.path, '/metrics');
    assert.equal(config.tracing.enabled, false);
    assert.equal(config.lifecycle.shutdownTimeoutMs, 10_000);
    assert.equal(config.lifecycle.maxInFlight, 1024);
    assert.equal(config.lifecycle.requestTimeoutMs, 60_000);
    assert.equal(config.health.livenessPath, '/healthz');
    assert.equal(config.health.readinessPath, '/readyz');
    assert.equal(config.protocol.requestStateSecret, undefined);
    assert.equal(origins.size, 0, 'nothing was set by a layer');
  });

  test('the defaults equal what the schema alone produces', () => {
    const { config } = loadConfig({ env: NO_FILE_ENV, cwd: dir });
    assert.deepEqual(config, configSchema.parse({ environment: 'unit-no-such-env' }));
  });

  test('NODE_ENV selects the environment when MCPD_ENV is absent; development otherwise', () => {
    assert.equal(loadConfig({ env: { NODE_ENV: 'unit-node-env' }, cwd: dir }).config.environment, 'unit-node-env');
    assert.equal(loadConfig({ env: { MCPD_ENV: 'a-env', NODE_ENV: 'b-env' }, cwd: dir }).config.environment, 'a-env');
    assert.equal(loadConfig({ env: {}, cwd: dir }).config.environment, 'development');
  });
});

describe('layer precedence: defaults < file < env < flags', () => {
  test('each layer overrides the one below, key by key, and origins name the winner', () => {
    const file = writeYaml(
      'precedence.yaml',
      ['http:', '  port: 4001', '  host: 10.0.0.1', '  path: /from-file', 'logging:', '  level: warn', 'server:', '  name: from-file'].join('\n'),
    );
    const { config, origins } = loadConfig({
      file,
      cwd: dir,
      env: { ...NO_FILE_ENV, MCPD_HTTP__PORT: '4002', MCPD_HTTP__HOST: '10.0.0.2', MCPD_LOGGING__LEVEL: 'error' },
      flags: { http: { port: 4003 } },
      flagSources: { 'http.port': 'flag --port' },
    });
    assert.equal(config.http.port, 4003, 'flag beats env and file');
    assert.equal(config.http.host, '10.0.0.2', 'env beats file');
    assert.equal(config.logging.level, 'error', 'env beats file');
    assert.equal(config.http.path, '/from-file', 'file beats defaults');
    assert.equal(config.server.name, 'from-file');
    assert.equal(config.http.maxBodyBytes, 4 * 1024 * 1024, 'untouched keys keep their default');
    assert.equal(origins.get('http.port'), 'flag --port');
    assert.equal(origins.get('http.host'), 'env MCPD_HTTP__HOST');
    assert.equal(origins.get('http.path'), file);
  });

  test('a file layer merges into defaults without dropping sibling defaults', () => {
    const file = writeYaml('partial.yaml', 'lifecycle:\n  maxInFlight: 7\n');
    const { config } = loadConfig({ file, cwd: dir, env: NO_FILE_ENV });
    assert.equal(config.lifecycle.maxInFlight, 7);
    assert.equal(config.lifecycle.shutdownTimeoutMs, 10_000);
    assert.equal(config.lifecycle.requestTimeoutMs, 60_000);
  });

  test('--env (flags.environment) beats MCPD_ENV when choosing the file', () => {
    writeYaml('envdir/config/flagenv.yaml', 'server:\n  name: flag-env-file\n');
    writeYaml('envdir/config/envvar.yaml', 'server:\n  name: env-var-file\n');
    const cwd = join(dir, 'envdir');
    const { config, file } = loadConfig({ cwd, env: { MCPD_ENV: 'envvar' }, flags: { environment: 'flagenv' } });
    assert.equal(config.environment, 'flagenv');
    assert.equal(config.server.name, 'flag-env-file');
    assert.equal(file, join(cwd, 'config', 'flagenv.yaml'));
  });

  test('an empty file is an empty layer', () => {
    const file = writeYaml('empty.yaml', '# nothing but a comment\n');
    const { config } = loadConfig({ file, cwd: dir, env: NO_FILE_ENV });
    assert.equal(config.http.port, 3000);
  });

  test('MCPD_CONFIG names the file when --config is absent; a relative path resolves against cwd', () => {
    writeYaml('rel/custom.yaml', 'http:\n  port: 4555\n');
    const { config, file } = loadConfig({ cwd: join(dir, 'rel'), env: { ...NO_FILE_ENV, MCPD_CONFIG: 'custom.yaml' } });
    assert.equal(config.http.port, 4555);
    assert.equal(file, join(dir, 'rel', 'custom.yaml'));
  });
});

describe('environment variables', () => {
  test('MCPD_HTTP__MAX_BODY_BYTES nests to http.maxBodyBytes and parses as a number', () => {
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_HTTP__MAX_BODY_BYTES: '1048576' } });
    assert.equal(config.http.maxBodyBytes, 1_048_576);
    assert.equal(typeof config.http.maxBodyBytes, 'number');
  });

  test('booleans, arrays and multi-word section names parse', () => {
    const { config } = loadConfig({
      cwd: dir,
      env: {
        ...NO_FILE_ENV,
        MCPD_HTTP__LEGACY_SSE: 'false',
        MCPD_HTTP__DNS_REBINDING_PROTECTION: 'true',
        MCPD_HTTP__ALLOWED_ORIGINS: '["https://a.example","https://b.example"]',
        MCPD_EVENT_STORE__MAX_EVENTS_PER_STREAM: '12',
        MCPD_TRACING__SAMPLE_RATIO: '0.25',
      },
    });
    assert.equal(config.http.legacySse, false);
    assert.equal(config.http.dnsRebindingProtection, true);
    assert.deepEqual(config.http.allowedOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(config.eventStore.maxEventsPerStream, 12);
    assert.equal(config.tracing.sampleRatio, 0.25);
  });

  test('plain strings stay strings (a name that looks like nothing else)', () => {
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_SERVER__NAME: 'my-server', MCPD_HTTP__HOST: '0.0.0.0' } });
    assert.equal(config.server.name, 'my-server');
    assert.equal(config.http.host, '0.0.0.0');
  });

  test('Kubernetes service-link variables of a Service named mcpd are neither keys nor typos', () => {
    const { config } = loadConfig({
      cwd: dir,
      env: {
        ...NO_FILE_ENV,
        MCPD_SERVICE_HOST: '10.0.0.7',
        MCPD_SERVICE_PORT: '3000',
        MCPD_SERVICE_PORT_HTTP: '3000',
        MCPD_PORT: 'tcp://10.0.0.7:3000',
        MCPD_PORT_3000_TCP: 'tcp://10.0.0.7:3000',
        MCPD_PORT_3000_TCP_PROTO: 'tcp',
        MCPD_PORT_3000_TCP_PORT: '3000',
        MCPD_PORT_3000_TCP_ADDR: '10.0.0.7',
      },
    });
    assert.equal(config.http.port, 3000);
    // …but a near miss of a real key is still refused.
    assert.equal(findIssue(issuesOf(() => loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_HTTP_PORT: '1' } })).issues, 'httpPort').source, 'env MCPD_HTTP_PORT');
  });

  test('variables without the MCPD_ prefix, and MCPD_ENV / MCPD_CONFIG themselves, are not config keys', () => {
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, HTTP__PORT: '1', PATH: '/usr/bin', HOME: '/root' } });
    assert.equal(config.http.port, 3000);
  });
});

describe('unknown keys and wrong types are errors naming source, key, expected and found', () => {
  test('a typo in a file (`read_only-true`)', () => {
    const file = writeYaml('typo.yaml', 'http:\n  read_only-true: 1\n');
    const { issues, message } = issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV }));
    const issue = findIssue(issues, 'http.read_only-true');
    assert.equal(issue.source, file);
    assert.match(issue.expected, /no such key|unknown/i);
    assert.equal(issue.found, '1');
    assert.ok(message.includes(file) && message.includes('http.read_only-true'), message);
  });

  test('an unknown top-level section in a file', () => {
    const file = writeYaml('toplevel.yaml', 'htpp:\n  port: 1\n');
    const issue = findIssue(issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV })).issues, 'htpp');
    assert.equal(issue.source, file);
    assert.match(issue.found, /port/);
  });

  test('an unknown key from the environment names the variable', () => {
    const { issues } = issuesOf(() => loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_HTTP__READ_ONLY_TRUE: 'true' } }));
    const issue = findIssue(issues, 'http.readOnlyTrue');
    assert.equal(issue.source, 'env MCPD_HTTP__READ_ONLY_TRUE');
    assert.match(issue.expected, /no such key|unknown/i);
    assert.equal(issue.found, 'true');
  });

  test('an unknown key from flags names the flag (or the command line)', () => {
    const { issues } = issuesOf(() =>
      loadConfig({ cwd: dir, env: NO_FILE_ENV, flags: { http: { prot: 1 } }, flagSources: { 'http.prot': 'flag --prot' } }),
    );
    assert.equal(findIssue(issues, 'http.prot').source, 'flag --prot');
    const unnamed = issuesOf(() => loadConfig({ cwd: dir, env: NO_FILE_ENV, flags: { http: { prot: 1 } } })).issues;
    assert.equal(findIssue(unnamed, 'http.prot').source, 'command line');
  });

  test('wrong types in each layer', () => {
    const file = writeYaml('types.yaml', 'http:\n  port: "eighty"\n  legacySse: "yes"\n');
    const fromFile = issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV })).issues;
    const port = findIssue(fromFile, 'http.port');
    assert.equal(port.source, file);
    assert.match(port.expected, /number/);
    assert.equal(port.found, '"eighty"');
    const legacy = findIssue(fromFile, 'http.legacySse');
    assert.match(legacy.expected, /boolean/);
    assert.equal(legacy.found, '"yes"');

    const fromEnv = issuesOf(() => loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_HTTP__PORT: 'abc' } })).issues;
    const envPort = findIssue(fromEnv, 'http.port');
    assert.equal(envPort.source, 'env MCPD_HTTP__PORT');
    assert.match(envPort.expected, /number/);
    assert.equal(envPort.found, '"abc"');

    const fromFlag = issuesOf(() =>
      loadConfig({ cwd: dir, env: NO_FILE_ENV, flags: { http: { port: 'x' } }, flagSources: { 'http.port': 'flag --port' } }),
    ).issues;
    assert.equal(findIssue(fromFlag, 'http.port').source, 'flag --port');
  });

  test('out-of-range and enum values', () => {
    const { issues } = issuesOf(() =>
      loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_HTTP__PORT: '70000', MCPD_LOGGING__LEVEL: 'loud', MCPD_SERVER__TRANSPORT: 'carrier-pigeon' } }),
    );
    assert.equal(findIssue(issues, 'http.port').found, '70000');
    const level = findIssue(issues, 'logging.level');
    assert.match(level.expected, /info/);
    assert.equal(level.found, '"loud"');
    assert.equal(findIssue(issues, 'server.transport').source, 'env MCPD_SERVER__TRANSPORT');
  });

  test('every issue is reported at once, not only the first', () => {
    const file = writeYaml('many.yaml', 'http:\n  port: "x"\n  bogus: 1\nlogging:\n  level: 3\n');
    const { issues } = issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV }));
    assert.ok(issues.length >= 3, JSON.stringify(issues));
  });

  test('a file that is not a mapping, or not YAML', () => {
    const list = writeYaml('list.yaml', '- a\n- b\n');
    assert.match(findIssue(issuesOf(() => loadConfig({ file: list, cwd: dir, env: NO_FILE_ENV })).issues, '').expected, /mapping/);
    const broken = writeYaml('broken.yaml', 'http:\n  port: [1, 2\n');
    const issue = findIssue(issuesOf(() => loadConfig({ file: broken, cwd: dir, env: NO_FILE_ENV })).issues, '');
    assert.equal(issue.source, broken);
    assert.match(issue.expected, /YAML/);
  });
});

describe('secrets', () => {
  test('SECRET_PATHS lists the request-state secret', () => {
    assert.ok(SECRET_PATHS.includes('protocol.requestStateSecret'));
  });

  test('a secret in a YAML file is refused, and the error does not echo it', () => {
    const file = writeYaml('secret.yaml', `protocol:\n  requestStateSecret: ${SECRET}\n`);
    const { issues, message } = issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV }));
    const issue = findIssue(issues, 'protocol.requestStateSecret');
    assert.equal(issue.source, file);
    assert.match(issue.expected, /environment/);
    assert.ok(!message.includes(SECRET), 'the secret is not in the error message');
    assert.ok(!JSON.stringify(issues).includes(SECRET), 'the secret is not in the issues');
  });

  test('a secret from the environment is accepted verbatim (never JSON-parsed)', () => {
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET: SECRET } });
    assert.equal(config.protocol.requestStateSecret, SECRET);
    const numeric = '12345678901234567890123456789012345';
    const parsed = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET: numeric } });
    assert.equal(parsed.config.protocol.requestStateSecret, numeric, 'a numeric-looking secret stays a string');
  });

  test('a secret from MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE is the file content (trimmed)', () => {
    const secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, `${SECRET}\n`);
    const { config, origins } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE: secretFile } });
    assert.equal(config.protocol.requestStateSecret, SECRET);
    assert.equal(origins.get('protocol.requestStateSecret'), 'env MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE');
  });

  test('a missing secret file is an error naming the variable', () => {
    const { issues } = issuesOf(() =>
      loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE: join(dir, 'no-such-secret') } }),
    );
    const issue = findIssue(issues, 'protocol.requestStateSecret');
    assert.equal(issue.source, 'env MCPD_PROTOCOL__REQUEST_STATE_SECRET_FILE');
    assert.equal(issue.found, 'ENOENT');
  });

  test('a too-short secret from the environment is refused without echoing it', () => {
    const { issues, message } = issuesOf(() => loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET: 'short-secret-xyz' } }));
    assert.equal(findIssue(issues, 'protocol.requestStateSecret').source, 'env MCPD_PROTOCOL__REQUEST_STATE_SECRET');
    assert.ok(!message.includes('short-secret-xyz'), `the error echoes the (invalid) secret: ${message}`);
  });

  test('redactConfig never prints the secret, and does not mutate the config', () => {
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET: SECRET } });
    const redacted = redactConfig(config);
    assert.ok(!JSON.stringify(redacted).includes(SECRET));
    assert.equal((redacted.protocol as Record<string, unknown>).requestStateSecret, '[REDACTED]');
    assert.equal(config.protocol.requestStateSecret, SECRET, 'the original keeps its secret');
    const without = redactConfig(loadConfig({ cwd: dir, env: NO_FILE_ENV }).config);
    assert.equal((without.protocol as Record<string, unknown>).requestStateSecret, undefined, 'an absent secret stays absent');
  });
});

describe('cache section', () => {
  test('defaults to a bounded in-memory store', () => {
    const { config } = loadConfig({ cwd: dir, env: NO_FILE_ENV });
    assert.deepEqual(config.cache, { store: 'memory', keyPrefix: 'mcpd:cache', maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, maxEntryBytes: 2 * 1024 * 1024, timeoutMs: 250 });
  });

  test('cache.redisUrl is a secret: refused in a file, taken verbatim from the environment, redacted', () => {
    const url = 'redis://:p4ssw0rd@cache.internal:6379/0';
    const file = writeYaml('cache-secret.yaml', `cache:\n  store: redis\n  redisUrl: ${url}\n`);
    const { issues, message } = issuesOf(() => loadConfig({ file, cwd: dir, env: NO_FILE_ENV }));
    assert.match(findIssue(issues, 'cache.redisUrl').expected, /environment/);
    assert.ok(!message.includes('p4ssw0rd'));
    const { config } = loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_CACHE__STORE: 'redis', MCPD_CACHE__REDIS_URL: url } });
    assert.equal(config.cache.redisUrl, url);
    assert.equal((redactConfig(config).cache as Record<string, unknown>).redisUrl, '[REDACTED]');
  });
});

describe('file selection', () => {
  test('MCPD_ENV selects config/<env>.yaml under cwd', () => {
    writeYaml('sel/config/staging.yaml', 'http:\n  port: 4321\n');
    const cwd = join(dir, 'sel');
    const { config, file } = loadConfig({ cwd, env: { MCPD_ENV: 'staging' } });
    assert.equal(file, join(cwd, 'config', 'staging.yaml'));
    assert.equal(config.environment, 'staging');
    assert.equal(config.http.port, 4321);
  });

  test('the shipped config/<env>.yaml is found from any cwd (package fallback)', () => {
    const { file, config } = loadConfig({ cwd: dir, env: { MCPD_ENV: 'test' } });
    assert.equal(file, join(ROOT, 'config', 'test.yaml'));
    assert.equal(config.http.port, 0);
  });

  test('an explicit file that does not exist is an error, not a silent fallback to defaults', () => {
    const missing = join(dir, 'nope.yaml');
    const issue = findIssue(issuesOf(() => loadConfig({ file: missing, cwd: dir, env: NO_FILE_ENV })).issues, '');
    assert.equal(issue.source, missing);
    assert.equal(issue.found, 'ENOENT');
    const viaEnv = issuesOf(() => loadConfig({ cwd: dir, env: { ...NO_FILE_ENV, MCPD_CONFIG: missing } })).issues;
    assert.equal(findIssue(viaEnv, '').found, 'ENOENT');
  });
});

describe('shipped files', () => {
  test('config/mcpd.schema.json equals configJsonSchema() (run `npm run config:schema` after changing the schema)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'config', 'mcpd.schema.json'), 'utf8'));
    assert.deepEqual(committed, configJsonSchema(), 'config/mcpd.schema.json is stale: run `npm run config:schema`');
  });

  test('the JSON Schema refuses unknown keys like the zod schema does', () => {
    const schema = configJsonSchema() as { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown }> };
    assert.equal(schema.additionalProperties, false);
    for (const [section, sub] of Object.entries(schema.properties)) {
      if (section === 'environment') continue;
      assert.equal(sub.additionalProperties, false, `${section} is strict`);
    }
  });

  test('every shipped config/*.yaml validates (and declares the schema for editors)', () => {
    const files = readdirSync(join(ROOT, 'config')).filter((name) => /\.ya?ml$/.test(name));
    assert.ok(files.length >= 3, `shipped files: ${files.join(', ')}`);
    for (const name of files) {
      const file = join(ROOT, 'config', name);
      const environment = name.replace(/\.ya?ml$/, '');
      const { config } = loadConfig({ file, cwd: dir, env: { MCPD_ENV: environment } });
      assert.equal(config.environment, environment);
      const text = readFileSync(file, 'utf8');
      assert.match(text, /yaml-language-server: \$schema=\.\/mcpd\.schema\.json/, `${name} points editors at the schema`);
      assert.equal(parseYaml(text)?.protocol?.requestStateSecret, undefined, `${name} holds no secret`);
    }
  });
});
