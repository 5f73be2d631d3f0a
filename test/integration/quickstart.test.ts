/**
 * The README's example (examples/quickstart.ts), run for real in both eras with
 * the official client, so the documentation cannot rot.
 */
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildQuickstart } from '../../examples/quickstart.js';

for (const negotiation of [{ mode: 'legacy' as const }, { mode: { pin: '2026-07-28' as const } }]) {
  describe(`quickstart example (${JSON.stringify(negotiation.mode)})`, () => {
    const { server, timings } = buildQuickstart();
    let client: Client;

    before(async () => {
      const http = await server.listenHttp({ port: 0 });
      client = new Client({ name: 'readme', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: negotiation });
      client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Ada' } }));
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    });

    after(async () => {
      await client?.close();
      await server.close();
    });

    test('add returns structured content', async () => {
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
      assert.deepEqual(result.structuredContent, { sum: 42 });
    });

    test('elicitation works in this era', async () => {
      const result = await client.callTool({ name: 'confirm_greeting', arguments: {} });
      assert.deepEqual(result.content, [{ type: 'text', text: 'Hello, Ada!' }]);
    });

    test('resource and prompt', async () => {
      const resource = await client.readResource({ uri: 'docs://readme' });
      assert.match(String((resource.contents[0] as { text?: string }).text), /Quickstart/);
      const prompt = await client.getPrompt({ name: 'explain_sum', arguments: { a: '1', b: '2' } });
      assert.match(JSON.stringify(prompt.messages), /1 \+ 2 = 3/);
    });

    test('the middleware saw every request with its duration', () => {
      assert.ok(timings.some((entry) => entry.method === 'tools/call' && entry.ok && entry.ms >= 0));
      assert.ok(timings.every((entry) => typeof entry.method === 'string'));
    });
  });
}
