/**
 * The bundled `mcpd` command (dist/bin/mcpd.js, built by `npm test`): version,
 * help, config check with secrets redacted, config errors, tools list, unknown
 * commands, and `serve` from start to a clean SIGTERM exit.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CLI, killAll, ROOT, runCli, spawnChild, startedUrl, waitExit } from '../helpers/process.js';

const T = { timeout: 15_000 } as const;
const SECRET_40 = 'Zq9-secret-4d2c8e1b7a6f5e4d3c2b1a0f9e8dX'; // 40 characters
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const dir = mkdtempSync(join(tmpdir(), 'mcpd-cli-'));
/** No MCPD_* from the runner's environment, and an environment with no shipped file unless a test says so. */
const BASE_ENV = { MCPD_ENV: 'cli-test-no-file', NODE_ENV: undefined, MCPD_CONFIG: undefined };

after(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

test('the bundle exists (npm test builds it first)', async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build`);
});

// Each command is its own process: a few run side by side.
describe('the mcpd command', { concurrency: 4 }, () => {
  test('--version prints the package version and exits 0', T, async () => {
    for (const flag of ['--version', '-v']) {
      const { code, stdout, stderr } = await runCli([flag], { env: BASE_ENV });
      assert.equal(code, 0, stderr);
      assert.equal(stdout, `${pkg.version}\n`);
    }
  });

  test('--help prints the usage and exits 0', T, async () => {
    const { code, stdout } = await runCli(['--help'], { env: BASE_ENV });
    assert.equal(code, 0);
    assert.match(stdout, /Usage:/);
    for (const command of ['mcpd serve', 'mcpd config check', 'mcpd config schema', 'mcpd tools list']) assert.ok(stdout.includes(command), command);
    assert.match(stdout, /MCPD_<SECTION>__<KEY>/);
  });

  test('config check prints the effective YAML with the secret redacted, and never the secret', T, async () => {
    const { code, stdout, stderr } = await runCli(['config', 'check'], {
      env: { ...BASE_ENV, MCPD_PROTOCOL__REQUEST_STATE_SECRET: SECRET_40, MCPD_HTTP__PORT: '4123', MCPD_HTTP__ALLOWED_ORIGINS: '["https://app.example"]' },
    });
    assert.equal(SECRET_40.length, 40);
    assert.equal(code, 0, stderr);
    assert.ok(!stdout.includes(SECRET_40), 'the secret is not on stdout');
    assert.ok(!stderr.includes(SECRET_40), 'the secret is not on stderr');
    assert.match(stdout, /^# effective configuration \(no config file\); secrets redacted\n/);
    const config = parseYaml(stdout) as any;
    assert.equal(config.protocol.requestStateSecret, '[REDACTED]');
    assert.equal(config.http.port, 4123);
    assert.deepEqual(config.http.allowedOrigins, ['https://app.example']);
    assert.equal(config.environment, 'cli-test-no-file');
  });

  test('config check --config names the file it read', T, async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'server:\n  name: from-cli-file\n');
    const { code, stdout, stderr } = await runCli(['config', 'check', '--config', file], { env: BASE_ENV });
    assert.equal(code, 0, stderr);
    assert.ok(stdout.startsWith(`# effective configuration (file: ${file})`), stdout.split('\n')[0]);
    assert.equal((parseYaml(stdout) as any).server.name, 'from-cli-file');
  });

  test('flags beat the environment: --port and --env', T, async () => {
    const { code, stdout, stderr } = await runCli(['config', 'check', '--port', '4999', '--env', 'cli-flag-env'], { env: { ...BASE_ENV, MCPD_HTTP__PORT: '4123' } });
    assert.equal(code, 0, stderr);
    const config = parseYaml(stdout) as any;
    assert.equal(config.http.port, 4999);
    assert.equal(config.environment, 'cli-flag-env');
  });

  test('an invalid config exits 1 and names the file, key, expected and found', T, async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'http:\n  read_only-true: 1\n  port: "eighty"\n');
    const { code, stdout, stderr } = await runCli(['config', 'check', '--config', file], { env: BASE_ENV });
    assert.equal(code, 1);
    assert.equal(stdout, '', 'nothing on stdout');
    assert.match(stderr, /Invalid configuration/);
    const typo = stderr.split('\n').find((line) => line.includes('http.read_only-true'));
    assert.ok(typo, stderr);
    assert.ok(typo.includes(file), 'names the file');
    assert.match(typo, /expected .*(unknown|no such key)/);
    assert.match(typo, /found 1/);
    const port = stderr.split('\n').find((line) => line.includes('http.port'));
    assert.ok(port, stderr);
    assert.ok(port.includes(file));
    assert.match(port, /expected number/);
    assert.match(port, /found "eighty"/);
  });

  test('an invalid environment variable exits 1 naming the variable', T, async () => {
    const { code, stderr } = await runCli(['config', 'check'], { env: { ...BASE_ENV, MCPD_HTTP__PORT: 'abc' } });
    assert.equal(code, 1);
    assert.match(stderr, /env MCPD_HTTP__PORT: http\.port: expected number, found "abc"/);
  });

  test('a secret in a config file exits 1 without printing it', T, async () => {
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, `protocol:\n  requestStateSecret: ${SECRET_40}\n`);
    const { code, stdout, stderr } = await runCli(['config', 'check', '--config', file], { env: BASE_ENV });
    assert.equal(code, 1);
    assert.match(stderr, /protocol\.requestStateSecret/);
    assert.ok(!stdout.includes(SECRET_40) && !stderr.includes(SECRET_40));
  });

  test('a missing --config file exits 1 naming it', T, async () => {
    const missing = join(dir, 'nope.yaml');
    const { code, stderr } = await runCli(['config', 'check', '--config', missing], { env: BASE_ENV });
    assert.equal(code, 1);
    assert.ok(stderr.includes(missing), stderr);
    assert.match(stderr, /ENOENT/);
  });

  test('config check finds the shipped config/<env>.yaml from any working directory', T, async () => {
    // load.ts falls back to the package's own config/ when cwd has none.
    const { code, stdout, stderr } = await runCli(['config', 'check'], { env: { ...BASE_ENV, MCPD_ENV: 'production' }, cwd: dir });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.split('\n')[0], `# effective configuration (file: ${join(ROOT, 'config', 'production.yaml')}); secrets redacted`);
  });

  test('config schema prints the committed JSON Schema', T, async () => {
    const { code, stdout } = await runCli(['config', 'schema'], { env: BASE_ENV });
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), JSON.parse(readFileSync(join(ROOT, 'config', 'mcpd.schema.json'), 'utf8')));
  });

  test('tools list exits 0 and prints only the listing (no log lines)', T, async () => {
    const { code, stdout, stderr } = await runCli(['tools', 'list'], { env: { ...BASE_ENV, MCPD_LOGGING__LEVEL: 'debug' } });
    assert.equal(code, 0, stderr);
    assert.ok(stdout.length > 0);
    for (const line of stdout.split('\n').filter(Boolean)) assert.ok(!line.startsWith('{'), `a log line on stdout: ${line}`);
    assert.equal(stderr, '');
  });

  test('an unknown command exits 2 with the usage', T, async () => {
    const { code, stdout, stderr } = await runCli(['frobnicate'], { env: BASE_ENV });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /unknown command "frobnicate"/);
    assert.match(stderr, /Usage:/);
    const sub = await runCli(['config', 'bogus'], { env: BASE_ENV });
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown command "config bogus"/);
  });

  test('an unknown flag exits 2', T, async () => {
    const { code, stderr } = await runCli(['serve', '--prot', '1'], { env: BASE_ENV });
    assert.equal(code, 2);
    assert.match(stderr, /--prot/);
  });

  test('serve --port 0: logs its URL, answers health, exits 0 on SIGTERM', T, async () => {
    const child = spawnChild([CLI, 'serve', '--port', '0'], { env: { ...BASE_ENV, MCPD_LOGGING__FORMAT: 'json', MCPD_LOGGING__LEVEL: 'info' } });
    const url = await startedUrl(child);
    const base = new URL(url);
    assert.equal(base.hostname, '127.0.0.1');
    assert.notEqual(base.port, '0');
    const live = await fetch(new URL('/healthz', base), { signal: AbortSignal.timeout(3_000) });
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const ready = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(3_000) });
    assert.equal(ready.status, 200);
    // The default embedded database is registered but not started: ready until a start fails.
    const readiness = (await ready.json()) as { status: string; phase: string; checks: Record<string, { status: string }> };
    assert.deepEqual(Object.keys(readiness.checks), ['database:main']);
    assert.deepEqual({ ...readiness, checks: { 'database:main': readiness.checks['database:main'].status } }, { status: 'ready', phase: 'running', checks: { 'database:main': 'ok' } });
    const sent = performance.now();
    child.proc.kill('SIGTERM');
    const exit = await waitExit(child, 5_000);
    assert.equal(exit.code, 0);
    assert.ok(exit.at - sent < 3_000, `exited ${exit.at - sent} ms after SIGTERM`);
    const lines = child.stdout.map((line) => line.json).filter(Boolean);
    assert.ok(lines.some((line) => line.msg === 'draining' && line.reason === 'SIGTERM'));
    assert.ok(lines.some((line) => line.msg === 'stopped' && line.clean === true));
    assert.equal(child.raw().stderr, '');
  });

  test('serve on a port in use exits 1 with a StartupError naming the component', T, async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const child = spawnChild([CLI, 'serve', '--port', String(port)], { env: { ...BASE_ENV, MCPD_LOGGING__FORMAT: 'json' } });
      const exit = await waitExit(child, 8_000);
      assert.equal(exit.code, 1);
      const fatal = child.stdout.map((line) => line.json).find((line) => line?.level === 'fatal');
      assert.ok(fatal, child.raw().stdout);
      assert.match(fatal.msg, /^http failed to start: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});
