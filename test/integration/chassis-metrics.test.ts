/**
 * Prometheus metrics at GET /metrics: request and tool counters and
 * histograms, bounded labels (an unknown tool is `unknown`), in-flight and
 * session gauges, process metrics, event-loop lag, and every exposed metric
 * documented in docs/metrics.md.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { initializeSession, sessionHeaders } from '../helpers/http.js';
import { statelessPost } from '../helpers/server.js';
import { gate, sampleValue, scrape, startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { ROOT } from '../helpers/process.js';

const T = { timeout: 10_000 } as const;
const DOC = join(ROOT, 'docs', 'metrics.md');

describe('GET /metrics', () => {
  let app: StartedMcpd;
  const held = gate();
  let entered = 0;

  before(async () => {
    app = await startMcpd(testConfig(), {
      register(server) {
        server.tool({ name: 'ok_tool', input: z.object({ n: z.number() }), handler: ({ n }) => `n=${n}` });
        server.tool({ name: 'failing_tool', handler: () => ({ content: [{ type: 'text', text: 'nope' }], isError: true }) });
        server.tool({
          name: 'held_tool',
          async handler() {
            entered++;
            await held.promise;
            return 'released';
          },
        });
      },
    });
    for (let n = 0; n < 3; n++) assert.equal((await statelessPost(app.url, 'tools/call', { name: 'ok_tool', arguments: { n } })).status, 200);
    await statelessPost(app.url, 'tools/call', { name: 'failing_tool', arguments: {} });
    await statelessPost(app.url, 'tools/call', { name: 'failing_tool', arguments: {} });
    await statelessPost(app.url, 'tools/call', { name: 'attacker_chosen_name_42', arguments: {} });
    await statelessPost(app.url, 'tools/list', {});
  });

  after(async () => {
    held.open();
    await app?.shutdown();
  });

  test('is served as Prometheus text', T, async () => {
    const metrics = await scrape(app.origin);
    assert.equal(metrics.status, 200);
    assert.match(metrics.contentType ?? '', /^text\/plain/);
    assert.match(metrics.text, /# HELP mcp_requests_total /);
  });

  test('mcp_requests_total by method and status', T, async () => {
    const { samples, types } = await scrape(app.origin);
    assert.equal(types.get('mcp_requests_total'), 'counter');
    assert.equal(sampleValue(samples, 'mcp_requests_total', { method: 'tools/call', status: 'ok' }), 5, '3 ok + 2 tool errors are ok requests');
    assert.equal(sampleValue(samples, 'mcp_requests_total', { method: 'tools/list', status: 'ok' }), 1);
    const unknown = samples.find((s) => s.name === 'mcp_requests_total' && s.labels.method === 'tools/call' && s.labels.status !== 'ok');
    assert.ok(unknown, 'the unknown-tool call is counted with its error code');
    assert.equal(unknown.value, 1);
  });

  test('mcp_request_duration_seconds is a histogram per method', T, async () => {
    const { samples, types } = await scrape(app.origin);
    assert.equal(types.get('mcp_request_duration_seconds'), 'histogram');
    assert.equal(sampleValue(samples, 'mcp_request_duration_seconds_count', { method: 'tools/call' }), 6);
    assert.ok((sampleValue(samples, 'mcp_request_duration_seconds_sum', { method: 'tools/call' }) ?? -1) >= 0);
    assert.equal(sampleValue(samples, 'mcp_request_duration_seconds_bucket', { method: 'tools/call', le: '+Inf' }), 6);
    const buckets = samples.filter((s) => s.name === 'mcp_request_duration_seconds_bucket' && s.labels.method === 'tools/call');
    assert.ok(buckets.length > 5, 'several buckets');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'cumulative buckets');
  });

  test('mcp_tool_calls_total by registered tool and outcome; unknown names are not labels', T, async () => {
    const { samples, text, types } = await scrape(app.origin);
    assert.equal(types.get('mcp_tool_calls_total'), 'counter');
    assert.equal(sampleValue(samples, 'mcp_tool_calls_total', { tool: 'ok_tool', outcome: 'ok' }), 3);
    assert.equal(sampleValue(samples, 'mcp_tool_calls_total', { tool: 'failing_tool', outcome: 'tool_error' }), 2);
    const unknown = samples.filter((s) => s.name === 'mcp_tool_calls_total' && s.labels.tool === 'unknown');
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0]!.value, 1);
    assert.notEqual(unknown[0]!.labels.outcome, 'ok');
    assert.ok(!text.includes('attacker_chosen_name_42'), 'a client-chosen tool name never becomes a label value');
    assert.equal(types.get('mcp_tool_duration_seconds'), 'histogram');
    assert.equal(sampleValue(samples, 'mcp_tool_duration_seconds_count', { tool: 'ok_tool' }), 3);
  });

  test('mcp_requests_in_flight counts requests being handled', T, async () => {
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_requests_in_flight'), 0);
    const pending = statelessPost(app.url, 'tools/call', { name: 'held_tool', arguments: {} });
    const deadline = Date.now() + 3_000;
    while (entered === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(entered, 1);
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_requests_in_flight'), 1);
    held.open();
    assert.equal((await pending).json.result.content[0].text, 'released');
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_requests_in_flight'), 0);
  });

  test('mcp_sessions_open follows 2025 sessions opening and closing', T, async () => {
    const before = sampleValue((await scrape(app.origin)).samples, 'mcp_sessions_open');
    assert.equal(before, 0);
    const a = await initializeSession(app.url);
    await initializeSession(app.url);
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_sessions_open'), 2);
    const deleted = await fetch(app.url, { method: 'DELETE', headers: sessionHeaders(a.sessionId), signal: AbortSignal.timeout(3_000) });
    assert.equal(deleted.status, 200);
    assert.equal(sampleValue((await scrape(app.origin)).samples, 'mcp_sessions_open'), 1);
  });

  test('process metrics and event-loop lag are present', T, async () => {
    const { samples, types } = await scrape(app.origin);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(types.has(name), `${name} is exposed`);
    }
    assert.equal(types.get('mcp_event_loop_lag_seconds'), 'gauge');
    const lag = sampleValue(samples, 'mcp_event_loop_lag_seconds');
    assert.ok(lag !== undefined && Number.isFinite(lag) && lag >= 0 && lag < 5, `event loop lag ${lag}`);
    for (const name of ['mcp_streams_open', 'mcp_tasks', 'mcp_overload_rejections_total']) assert.ok(types.has(name), `${name} is exposed`);
  });

  test('every exposed metric is documented in docs/metrics.md', { ...T, skip: existsSync(DOC) ? false : 'docs/metrics.md does not exist yet' }, async () => {
    const doc = readFileSync(DOC, 'utf8');
    const { types } = await scrape(app.origin);
    const missing: string[] = [];
    for (const name of types.keys()) {
      if (name.startsWith('mcp_')) {
        if (!new RegExp(`\\b${name}\\b`).test(doc)) missing.push(name);
        continue;
      }
      // prom-client's default process metrics: by name, or by their family (`process_*`, `nodejs_*`).
      const family = `${name.split('_')[0]}_*`;
      if (!doc.includes(name) && !doc.includes(family)) missing.push(name);
    }
    assert.deepEqual(missing, [], `undocumented metrics: ${missing.join(', ')}`);
  });
});

describe('metrics disabled', () => {
  test('no /metrics route', T, async () => {
    const app = await startMcpd(testConfig({ metrics: { enabled: false } }));
    try {
      assert.equal(app.mcpd.metrics, undefined);
      const response = await fetch(`${app.origin}/metrics`, { signal: AbortSignal.timeout(3_000) });
      assert.equal(response.status, 404);
      await response.arrayBuffer();
    } finally {
      await app.shutdown();
    }
  });
});
