/**
 * stdio access: the launching user is trusted by default; a token from the
 * launcher's environment (MCPD_AUTH__STDIO_TOKEN) narrows the caller to that
 * key's identity and scopes, and `auth.stdio: token` refuses to start without
 * a valid one. Runs the real CLI as a client would launch it.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createApiKey } from '../../src/security/auth/api-keys.js';
import { CLI, killAll, runCli, spawnChild, waitExit, type Child } from '../helpers/process.js';

const T = { timeout: 20_000 };
const reader = createApiKey('reader', ['tools']);
const admin = createApiKey('ops', ['admin']);
const baseEnv = {
  MCPD_ENV: 'stdio-auth-test',
  NODE_ENV: undefined,
  MCPD_SERVER__TRANSPORT: 'stdio',
  MCPD_LOGGING__LEVEL: 'info',
  MCPD_AUTH__MODE: 'apiKey',
  MCPD_AUTH__API_KEYS: JSON.stringify([reader.entry, admin.entry]),
};

async function resourcesOf(child: Child): Promise<string[]> {
  const send = (message: object) => child.proc.stdin.write(`${JSON.stringify(message)}\n`);
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'desktop', version: '1' } } });
  await child.waitForLine('stdout', (line) => line.json?.id === 1, 8_000, 'initialize');
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'resources/list' });
  const listed = await child.waitForLine('stdout', (line) => line.json?.id === 2, 8_000, 'resources/list');
  return listed.json.result.resources.map((resource: { uri: string }) => resource.uri);
}

describe('stdio authentication', () => {
  after(() => killAll());

  test('without a token the local user is trusted with every scope', T, async () => {
    const child = spawnChild([CLI, 'serve'], { env: baseEnv });
    assert.ok((await resourcesOf(child)).includes('config://effective'));
    child.proc.stdin.end();
    await waitExit(child, 8_000);
  });

  test("a token narrows the caller to its key's identity and scopes", T, async () => {
    const child = spawnChild([CLI, 'serve'], { env: { ...baseEnv, MCPD_AUTH__STDIO_TOKEN: reader.key } });
    const uris = await resourcesOf(child);
    assert.ok(uris.includes('health://status'));
    assert.ok(!uris.includes('config://effective'), 'the admin-only resource is hidden from a key without admin');
    child.proc.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'config://effective' } })}\n`);
    const refused = await child.waitForLine('stdout', (line) => line.json?.id === 3, 8_000, 'resources/read');
    assert.equal(refused.json.error.data.errorCode, 'PERMISSION_DENIED');
    const started = await child.waitForLine('stderr', (line) => line.json?.msg === 'stdio caller authenticated by token', 5_000);
    assert.equal(started.json.identity, 'reader');
    child.proc.stdin.end();
    await waitExit(child, 8_000);
    assert.ok(!child.raw().stderr.includes(reader.key), 'the token is never logged');
  });

  test('a wrong token stops start-up with a clear reason, never echoing it', T, async () => {
    const wrong = `${reader.key.slice(0, -1)}x`;
    const result = await runCli(['serve'], { env: { ...baseEnv, MCPD_AUTH__STDIO_TOKEN: wrong } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /MCPD_AUTH__STDIO_TOKEN was refused/);
    assert.ok(!result.stderr.includes(wrong));
    assert.equal(result.stdout, '', 'nothing on the protocol channel');
  });

  test('auth.stdio token without a token refuses to start', T, async () => {
    const result = await runCli(['serve'], { env: { ...baseEnv, MCPD_AUTH__STDIO: 'token' } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /auth\.stdio is token/);
  });
});
