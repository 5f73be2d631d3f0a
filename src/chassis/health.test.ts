/** Readiness: per-check status and latency, failures, timeouts, and the phase. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Health } from './health.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('not ready while starting, ready once running with no checks', async () => {
  const health = new Health(1000);
  assert.deepEqual(await health.readiness(), { status: 'not_ready', phase: 'starting', checks: {} });
  health.phase = 'running';
  assert.deepEqual(await health.readiness(), { status: 'ready', phase: 'running', checks: {} });
});

test('each check reports its status and latency', async () => {
  const health = new Health(1000);
  health.phase = 'running';
  health.register({ name: 'db', check: () => sleep(40) });
  health.register({ name: 'cache', check: () => {} });
  const report = await health.readiness();
  assert.equal(report.status, 'ready');
  assert.deepEqual(Object.keys(report.checks).sort(), ['cache', 'db']);
  assert.equal(report.checks.db!.status, 'ok');
  assert.equal(report.checks.db!.error, undefined);
  assert.ok(report.checks.db!.latencyMs >= 35 && report.checks.db!.latencyMs < 1000, `db latency ${report.checks.db!.latencyMs}`);
  assert.equal(report.checks.cache!.status, 'ok');
  assert.ok(report.checks.cache!.latencyMs >= 0 && report.checks.cache!.latencyMs < 35);
});

test('checks run concurrently', async () => {
  const health = new Health(1000);
  health.phase = 'running';
  for (const name of ['a', 'b', 'c']) health.register({ name, check: () => sleep(80) });
  const started = performance.now();
  await health.readiness();
  assert.ok(performance.now() - started < 200, 'three 80 ms checks take ~80 ms, not 240');
});

test('a failing check makes the server not_ready and carries its error', async () => {
  const health = new Health(1000);
  health.phase = 'running';
  health.register({ name: 'db', check: () => Promise.reject(new Error('connection refused')) });
  health.register({ name: 'sync-throw', check: () => { throw new Error('boom'); } });
  health.register({ name: 'ok', check: () => {} });
  const report = await health.readiness();
  assert.equal(report.status, 'not_ready');
  assert.equal(report.phase, 'running');
  assert.deepEqual({ status: report.checks.db!.status, error: report.checks.db!.error }, { status: 'fail', error: 'connection refused' });
  assert.deepEqual({ status: report.checks['sync-throw']!.status, error: report.checks['sync-throw']!.error }, { status: 'fail', error: 'boom' });
  assert.equal(report.checks.ok!.status, 'ok');
  assert.equal(typeof report.checks.db!.latencyMs, 'number');
});

test('a hanging check times out, its signal is aborted, and readiness still answers', async () => {
  const health = new Health(100);
  health.phase = 'running';
  let signalAborted = false;
  health.register({
    name: 'hangs',
    check: (signal) =>
      new Promise<void>(() => {
        signal.addEventListener('abort', () => (signalAborted = true));
      }),
  });
  // AbortSignal.timeout's timer is unref'd: in a bare process nothing else keeps the loop alive
  // (a real server's listener does), so hold it open for the duration of the check.
  const keepAlive = setInterval(() => {}, 1000);
  const started = performance.now();
  const report = await health.readiness().finally(() => clearInterval(keepAlive));
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 90 && elapsed < 1000, `answered after ${elapsed} ms`);
  assert.equal(report.status, 'not_ready');
  assert.equal(report.checks.hangs!.status, 'fail');
  assert.match(report.checks.hangs!.error!, /timed out after 100 ms/);
  assert.ok(report.checks.hangs!.latencyMs >= 90);
  assert.ok(signalAborted, 'the check was told to stop');
});

test('draining is not_ready even when every check passes', async () => {
  const health = new Health(1000);
  health.register({ name: 'db', check: () => {} });
  health.phase = 'running';
  assert.equal((await health.readiness()).status, 'ready');
  health.phase = 'draining';
  const report = await health.readiness();
  assert.equal(report.status, 'not_ready');
  assert.equal(report.phase, 'draining');
  assert.equal(report.checks.db!.status, 'ok');
});

test('non-Error failures are stringified', async () => {
  const health = new Health(1000);
  health.phase = 'running';
  health.register({ name: 'weird', check: () => Promise.reject('nope') });
  assert.equal((await health.readiness()).checks.weird!.error, 'nope');
});
