// Runs the official MCP conformance referee against the conformance fixture:
// --requirements 2026-07-28, --requirements 2025-11-25 (no expected-failures file),
// and --suite all, where every tasks-* scenario must pass and any other failure
// must be one listed in KNOWN_SUITE_ALL_FAILURES (and in the README, with its reason).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REFEREE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const KNOWN_SUITE_ALL_FAILURES = new Set([]);

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

const port = await freePort();
const fixture = spawn(process.execPath, ['dist/bin/conformance-server.js'], {
  env: { ...process.env, PORT: String(port) },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stopFixture = () => fixture.kill('SIGTERM');
process.on('exit', stopFixture);

for (let attempt = 0; ; attempt++) {
  try {
    await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'GET' });
    break;
  } catch {
    if (attempt > 50) throw new Error('conformance fixture did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const url = `http://localhost:${port}/mcp`;
const workdir = mkdtempSync(join(tmpdir(), 'mcpd-conformance-'));

function referee(args) {
  console.log(`\n$ conformance server --url ${url} ${args.join(' ')}`);
  const run = spawnSync('npx', ['-y', '-p', 'node@22', '-p', REFEREE, 'conformance', 'server', '--url', url, ...args], {
    cwd: workdir,
    encoding: 'utf8',
    timeout: 8 * 60_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const summary = output.split('\n').filter((line) => /^[✓✗]|^Total|Passed:|failed/.test(line));
  console.log(summary.join('\n'));
  const failed = output
    .split('\n')
    .filter((line) => line.startsWith('✗'))
    .map((line) => line.slice(2).split(':')[0].trim());
  const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
  if (!total) {
    console.log(output.slice(-4000));
    throw new Error(`referee did not report a total (exit ${run.status})`);
  }
  return { passed: Number(total[1]), failed: Number(total[2]), failedScenarios: failed };
}

let ok = true;
for (const revision of ['2026-07-28', '2025-11-25']) {
  const result = referee(['--requirements', revision]);
  if (result.failed > 0) {
    ok = false;
    console.error(`requirements ${revision}: ${result.failed} failed (${result.failedScenarios.join(', ')})`);
  }
}
const all = referee(['--suite', 'all']);
for (const scenario of all.failedScenarios) {
  if (scenario.startsWith('tasks-') || !KNOWN_SUITE_ALL_FAILURES.has(scenario)) {
    ok = false;
    console.error(`suite all: unexpected failure of ${scenario}`);
  }
}
stopFixture();
console.log(ok ? '\nconformance: all required scenarios pass' : '\nconformance: FAILED');
process.exit(ok ? 0 : 1);
