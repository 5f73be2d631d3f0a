/**
 * The audit trail over real HTTP: one event per tool call and resource read,
 * with identity, client, target, argument digest, outcome, duration and
 * request id — never an argument value, and nothing of a sensitive field.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { McpdError, type McpServer } from '../../src/index.js';
import { createApiKey } from '../../src/security/auth/api-keys.js';
import { argumentDigest, type AuditEvent } from '../../src/security/audit.js';
import { memoryLogger, startMcpd, testConfig, type MemoryLogger, type StartedMcpd } from '../helpers/chassis.js';
import { statelessPost } from '../helpers/server.js';

const T = { timeout: 10_000 };

function register(server: McpServer) {
  server.tool({ name: 'echo', description: 'echo', input: z.object({ text: z.string() }), handler: ({ text }) => text });
  server.tool({
    name: 'login',
    description: 'takes a password',
    input: z.object({ user: z.string(), password: z.string() }),
    sensitive: ['password'],
    handler: ({ user }) => `hello ${user}`,
  });
  server.tool({ name: 'broken', description: 'fails', handler: () => { throw new McpdError('NOT_FOUND', 'no such thing'); } });
  server.resource({ uri: 'memo://one', name: 'memo', read: () => 'memo text' });
}

describe('audit events', () => {
  let app: StartedMcpd;
  let log: MemoryLogger;
  const extra: AuditEvent[] = [];
  const key = createApiKey('alice', ['*']);
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-audit-'));
  const file = join(dir, 'audit.jsonl');
  const auth = { authorization: `Bearer ${key.key}` };
  const audits = () => log.lines.filter((line) => line.audit === true);

  before(async () => {
    log = memoryLogger('info');
    app = await startMcpd(
      testConfig({ auth: { mode: 'apiKey', apiKeys: [{ ...key.entry, scopes: ['*'] }] }, audit: { file } }),
      { register, logger: log.logger, auditSinks: [{ write: (event) => void extra.push(event) }] },
    );
  });
  after(async () => {
    await app?.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tool call: identity, client, target, digest, outcome, duration and request id', T, async () => {
    const response = await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'secret-ish value' } }, { ...auth, 'x-request-id': 'req-audit-1' });
    assert.equal(response.status, 200);
    const event = audits().find((line) => line.request_id === 'req-audit-1');
    assert.ok(event, JSON.stringify(log.lines));
    assert.equal(event.msg, 'audit');
    assert.equal(event.event, 'tool_call');
    assert.equal(event.identity, 'alice');
    assert.equal(event.auth_method, 'api-key');
    assert.equal(event.client_address, '127.0.0.1');
    assert.equal(event.client_name, 'test');
    assert.equal(event.client_version, '1.0.0');
    assert.equal(event.target, 'echo');
    assert.equal(event.outcome, 'ok');
    assert.equal(event.argument_digest, argumentDigest({ text: 'secret-ish value' }, new Set()));
    assert.ok(typeof event.duration_ms === 'number' && event.duration_ms >= 0);
    assert.ok(!JSON.stringify(event).includes('secret-ish value'), 'argument values are never recorded');
  });

  test('fields marked sensitive never reach the digest: two passwords, one digest', T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'login', arguments: { user: 'bob', password: 'hunter2' } }, { ...auth, 'x-request-id': 'req-pw-1' });
    await statelessPost(app.url, 'tools/call', { name: 'login', arguments: { password: 'correct horse', user: 'bob' } }, { ...auth, 'x-request-id': 'req-pw-2' });
    const [first, second] = ['req-pw-1', 'req-pw-2'].map((id) => audits().find((line) => line.request_id === id));
    assert.ok(first && second);
    assert.equal(first.argument_digest, second.argument_digest);
    assert.notEqual(first.argument_digest, argumentDigest({ user: 'bob', password: 'hunter2' }, new Set()));
    assert.ok(!log.text().includes('hunter2') && !log.text().includes('correct horse'));
  });

  test('failures are audited with their stable code; refused callers are not tool calls', T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'broken', arguments: {} }, { ...auth, 'x-request-id': 'req-broken' });
    const broken = audits().find((line) => line.request_id === 'req-broken');
    assert.equal(broken.outcome, 'tool_error');
    assert.equal(broken.error_code, 'NOT_FOUND');
    await statelessPost(app.url, 'tools/call', { name: 'nope', arguments: {} }, { ...auth, 'x-request-id': 'req-unknown' });
    const unknown = audits().find((line) => line.request_id === 'req-unknown');
    assert.equal(unknown.outcome, 'error');
    assert.equal(unknown.target, 'nope');
  });

  test('a resource read is audited with its URI', T, async () => {
    await statelessPost(app.url, 'resources/read', { uri: 'memo://one' }, { ...auth, 'x-request-id': 'req-read' });
    const read = audits().find((line) => line.request_id === 'req-read');
    assert.equal(read.event, 'resource_read');
    assert.equal(read.target, 'memo://one');
    assert.equal(read.outcome, 'ok');
    assert.equal(read.argument_digest, undefined);
  });

  test('other methods are not audited', T, async () => {
    await statelessPost(app.url, 'tools/list', {}, { ...auth, 'x-request-id': 'req-list' });
    assert.equal(audits().find((line) => line.request_id === 'req-list'), undefined);
  });

  test('extra sinks and the audit file receive the same events', T, async () => {
    await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'to the file' } }, { ...auth, 'x-request-id': 'req-file' });
    const fromSink = extra.find((event) => event.request_id === 'req-file');
    assert.ok(fromSink);
    assert.match(fromSink.time, /^\d{4}-\d\d-\d\dT/);
    await app.shutdown();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const fromFile = lines.find((event) => event.request_id === 'req-file');
    assert.deepEqual(fromFile, JSON.parse(JSON.stringify(fromSink)));
    assert.equal(lines.length, extra.length, 'the file holds every event');
  });
});

describe('audit off', () => {
  test('audit.enabled false writes no audit events', T, async () => {
    const log = memoryLogger('info');
    const app = await startMcpd(testConfig({ audit: { enabled: false } }), { register, logger: log.logger });
    try {
      await statelessPost(app.url, 'tools/call', { name: 'echo', arguments: { text: 'x' } });
      assert.equal(log.lines.filter((line) => line.audit === true).length, 0);
      assert.ok(log.lines.some((line) => line.msg === 'request completed'));
    } finally {
      await app.shutdown();
    }
  });
});
