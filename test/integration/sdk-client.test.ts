/**
 * mcpd driven by the official TypeScript client (`@modelcontextprotocol/client`
 * v2) over Streamable HTTP, in both protocol eras: the 2025-11-25 sessionful
 * handshake and the 2026-07-28 stateless per-request envelope.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, SdkError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  CallToolResultSchema,
  CompleteResultSchema,
  GetPromptResultSchema,
  ListToolsResultSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/core';
import { z } from 'zod';
import { createServer, type McpServer } from '../../src/index.js';
import { startFixture, type RunningServer } from '../helpers/server.js';
import { waitFor } from '../helpers/http.js';

type EraName = 'legacy' | 'modern';

interface EraSpec {
  era: EraName;
  label: string;
  version: string;
  negotiation: { mode: 'legacy' } | { mode: { pin: '2026-07-28' } };
}

const ERAS: EraSpec[] = [
  { era: 'legacy', label: '2025-11-25 sessionful', version: '2025-11-25', negotiation: { mode: 'legacy' } },
  { era: 'modern', label: '2026-07-28 stateless', version: '2026-07-28', negotiation: { mode: { pin: '2026-07-28' } } },
];

const REQUEST = { timeout: 8_000 } as const;

const textOf = (result: { content?: unknown }): string => {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join('');
};

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  elicitations: { message: string; requestedSchema: unknown }[];
  samplings: unknown[];
}

async function connect(url: string, spec: EraSpec): Promise<Connected> {
  const client = new Client(
    { name: 'mcpd-integration', version: '1.0.0' },
    {
      capabilities: { elicitation: { form: {} }, sampling: {}, roots: { listChanged: true } },
      versionNegotiation: spec.negotiation,
    },
  );
  const elicitations: Connected['elicitations'] = [];
  const samplings: unknown[] = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    const params = request.params as { message: string; requestedSchema?: unknown };
    elicitations.push({ message: params.message, requestedSchema: params.requestedSchema });
    // Answers both the 2025 fixture form (username/email) and the 2026 one (name).
    return { action: 'accept', content: { username: 'alice', email: 'alice@example.com', name: 'Alice' } };
  });
  client.setRequestHandler('sampling/createMessage', async (request) => {
    samplings.push(request.params);
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'Paris is the capital.' } };
  });
  client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///tmp/project', name: 'project' }] }));
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 200, reconnectionDelayGrowFactor: 1.5, maxRetries: 3 },
  });
  await client.connect(transport, { timeout: 5_000 });
  return { client, transport, elicitations, samplings };
}

async function disconnect(connected: Connected | undefined): Promise<void> {
  if (!connected) return;
  if (connected.transport.sessionId) await connected.transport.terminateSession().catch(() => {});
  await connected.client.close();
}

describe('official SDK client against the conformance fixture', () => {
  let fixture: RunningServer;

  before(async () => {
    fixture = await startFixture();
  });

  after(async () => {
    await fixture?.close();
  });

  for (const spec of ERAS) {
    describe(spec.label, () => {
      let connected: Connected;

      before(async () => {
        connected = await connect(fixture.url, spec);
      });

      after(async () => {
        await disconnect(connected);
      });

      test('negotiates the era', { timeout: 10_000 }, () => {
        const { client, transport } = connected;
        assert.equal(client.getProtocolEra(), spec.era);
        assert.equal(client.getNegotiatedProtocolVersion(), spec.version);
        if (spec.era === 'legacy') {
          assert.match(transport.sessionId ?? '', /^[0-9a-f-]{36}$/);
          assert.ok(fixture.server.engine.sessions.get(transport.sessionId!), 'the server knows the session');
        } else {
          assert.equal(transport.sessionId, undefined, 'no session in the stateless era');
        }
      });

      test('listTools', { timeout: 10_000 }, async () => {
        const result = await connected.client.listTools(undefined, REQUEST);
        ListToolsResultSchema.parse(result);
        const names = result.tools.map((tool) => tool.name);
        for (const name of ['test_simple_text', 'greet', 'test_tool_with_progress', 'slow_compute', 'test_elicitation']) {
          assert.ok(names.includes(name), `tools/list has ${name}`);
        }
        const greet = result.tools.find((tool) => tool.name === 'greet')!;
        assert.equal(greet.inputSchema.type, 'object');
        assert.deepEqual(greet.inputSchema.required, ['name']);
      });

      test('callTool test_simple_text', { timeout: 10_000 }, async () => {
        const result = await connected.client.callTool({ name: 'test_simple_text', arguments: {} }, REQUEST);
        CallToolResultSchema.parse(result);
        assert.deepEqual(result.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
        assert.ok(!result.isError);
      });

      test('callTool an echo-like tool (greet)', { timeout: 10_000 }, async () => {
        const result = await connected.client.callTool({ name: 'greet', arguments: { name: `world-${spec.era}` } }, REQUEST);
        CallToolResultSchema.parse(result);
        assert.equal(textOf(result), `Hello, world-${spec.era}!`);
      });

      test('callTool with invalid arguments is a tool error, not a protocol error', { timeout: 10_000 }, async () => {
        const result = await connected.client.callTool({ name: 'greet', arguments: { name: 42 } }, REQUEST);
        CallToolResultSchema.parse(result);
        assert.equal(result.isError, true);
        assert.match(textOf(result), /^VALIDATION_ERROR/);
      });

      test('readResource test://static-text', { timeout: 10_000 }, async () => {
        const result = await connected.client.readResource({ uri: 'test://static-text' }, REQUEST);
        ReadResourceResultSchema.parse(result);
        assert.equal(result.contents.length, 1);
        const [content] = result.contents as { uri: string; mimeType?: string; text?: string }[];
        assert.equal(content!.uri, 'test://static-text');
        assert.equal(content!.mimeType, 'text/plain');
        assert.equal(content!.text, 'This is the content of the static text resource.');
      });

      test('readResource through the template test://template/{id}/data', { timeout: 10_000 }, async () => {
        const result = await connected.client.readResource({ uri: 'test://template/7/data' }, REQUEST);
        ReadResourceResultSchema.parse(result);
        const [content] = result.contents as { uri: string; mimeType?: string; text?: string }[];
        assert.equal(content!.uri, 'test://template/7/data');
        assert.equal(content!.mimeType, 'application/json');
        assert.deepEqual(JSON.parse(content!.text!), { id: '7', templateTest: true, data: 'Data for ID: 7' });
      });

      test('getPrompt test_prompt_with_arguments', { timeout: 10_000 }, async () => {
        const result = await connected.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'alpha', arg2: 'beta' } }, REQUEST);
        GetPromptResultSchema.parse(result);
        assert.deepEqual(result.messages, [{ role: 'user', content: { type: 'text', text: "Prompt with arguments: arg1='alpha', arg2='beta'" } }]);
      });

      test('complete a prompt argument and a template variable', { timeout: 10_000 }, async () => {
        const prompt = await connected.client.complete(
          { ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'testi' } },
          REQUEST,
        );
        CompleteResultSchema.parse(prompt);
        assert.deepEqual(prompt.completion.values, ['testing']);
        assert.equal(prompt.completion.total, 1);
        assert.equal(prompt.completion.hasMore, false);

        const template = await connected.client.complete(
          { ref: { type: 'ref/resource', uri: 'test://template/{id}/data' }, argument: { name: 'id', value: '4' } },
          REQUEST,
        );
        CompleteResultSchema.parse(template);
        assert.deepEqual(template.completion.values, ['456']);
      });

      test('progress notifications reach onprogress', { timeout: 10_000 }, async () => {
        const seen: { progress: number; total?: number; message?: string }[] = [];
        const result = await connected.client.callTool(
          { name: 'test_tool_with_progress', arguments: {} },
          { ...REQUEST, onprogress: (progress) => seen.push(progress) },
        );
        CallToolResultSchema.parse(result);
        assert.deepEqual(
          seen.map((p) => p.progress),
          [0, 50, 100],
        );
        assert.ok(seen.every((p) => p.total === 100));
        assert.equal(seen[2]!.message, 'Completed step 100 of 100');
        // The tool returns the progress token the SDK put into _meta.
        assert.match(textOf(result), /^\S+$/);
        assert.notEqual(textOf(result), 'done', 'the SDK sent a progress token');
      });

      test('an AbortSignal cancels a slow tool call', { timeout: 10_000 }, async () => {
        const controller = new AbortController();
        const started = Date.now();
        setTimeout(() => controller.abort('user cancelled'), 150);
        await assert.rejects(
          connected.client.callTool({ name: 'slow_compute', arguments: { seconds: 30 } }, { timeout: 9_000, signal: controller.signal }),
          (error: unknown) => {
            assert.ok(SdkError.isInstance(error), `an SdkError, got ${String(error)}`);
            assert.match((error as Error).message, /user cancelled/);
            return true;
          },
        );
        assert.ok(Date.now() - started < 3_000, 'cancellation is prompt');
        if (spec.era === 'legacy') {
          const session = fixture.server.engine.sessions.get(connected.transport.sessionId!)!;
          await waitFor(() => session.inFlightCount === 0, 3_000, 'the server to drop the cancelled call');
        }
        // The connection is still usable.
        const after = await connected.client.callTool({ name: 'test_simple_text', arguments: {} }, REQUEST);
        assert.equal(textOf(after), 'This is a simple text response for testing.');
      });

      if (spec.era === 'legacy') {
        test('elicitation round-trip (test_elicitation, server-to-client request)', { timeout: 10_000 }, async () => {
          const before = connected.elicitations.length;
          const result = await connected.client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } }, REQUEST);
          CallToolResultSchema.parse(result);
          assert.equal(connected.elicitations.length, before + 1);
          assert.equal(connected.elicitations[before]!.message, 'Who are you?');
          const text = textOf(result);
          assert.match(text, /^User response: action=accept, content=/);
          const content = JSON.parse(text.slice(text.indexOf('content=') + 'content='.length));
          assert.equal(content.username, 'alice');
          assert.equal(content.email, 'alice@example.com');
        });

        test('sampling round-trip (test_sampling)', { timeout: 10_000 }, async () => {
          const before = connected.samplings.length;
          const result = await connected.client.callTool({ name: 'test_sampling', arguments: { prompt: 'Capital of France?' } }, REQUEST);
          CallToolResultSchema.parse(result);
          assert.equal(connected.samplings.length, before + 1);
          const params = connected.samplings[before] as { messages: { content: { text: string } }[]; maxTokens: number };
          assert.equal(params.messages[0]!.content.text, 'Capital of France?');
          assert.equal(params.maxTokens, 100);
          assert.equal(textOf(result), 'LLM response: Paris is the capital.');
        });
      } else {
        test('elicitation round-trip (input_required, auto-fulfilled by the SDK)', { timeout: 10_000 }, async () => {
          const before = connected.elicitations.length;
          const result = await connected.client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }, REQUEST);
          CallToolResultSchema.parse(result);
          assert.equal(connected.elicitations.length, before + 1);
          assert.equal(connected.elicitations[before]!.message, 'What is your name?');
          assert.equal(textOf(result), 'Hello, Alice!');
        });

        test('sampling round-trip (input_required)', { timeout: 10_000 }, async () => {
          const before = connected.samplings.length;
          const result = await connected.client.callTool({ name: 'test_input_required_result_sampling', arguments: {} }, REQUEST);
          assert.equal(connected.samplings.length, before + 1);
          assert.match(textOf(result), /Paris is the capital\./);
        });
      }
    });
  }
});

describe('official SDK client: versionNegotiation auto', () => {
  let fixture: RunningServer;

  before(async () => {
    fixture = await startFixture();
  });

  after(async () => {
    await fixture?.close();
  });

  test('the server/discover probe picks 2026-07-28', { timeout: 10_000 }, async () => {
    const client = new Client({ name: 'mcpd-auto', version: '1.0.0' }, { versionNegotiation: { mode: 'auto', probe: { timeoutMs: 3_000 } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)), { timeout: 5_000 });
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      assert.equal(client.getInstructions(), 'Conformance fixture server.');
      assert.ok(client.getServerCapabilities()?.tools);
      const result = await client.callTool({ name: 'greet', arguments: { name: 'auto' } }, REQUEST);
      assert.equal(textOf(result), 'Hello, auto!');
    } finally {
      await client.close();
    }
  });
});

describe('official SDK client: the server aborts a cancelled handler', () => {
  interface Observed {
    started: number;
    aborted: number;
    reasons: unknown[];
  }
  const observed: Observed = { started: 0, aborted: 0, reasons: [] };
  let running: RunningServer;

  const build = (): McpServer =>
    createServer({ name: 'cancel-probe', version: '1.0.0' }).tool({
      name: 'wait_for_abort',
      description: 'Waits until aborted (at most 20 s)',
      input: z.object({ tag: z.string() }),
      async handler(_args, ctx) {
        observed.started++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20_000);
          ctx.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              observed.aborted++;
              observed.reasons.push(ctx.signal.reason);
              resolve();
            },
            { once: true },
          );
        });
        return 'finished';
      },
    });

  before(async () => {
    running = await startFixture({}, build);
  });

  after(async () => {
    await running?.close();
  });

  for (const spec of ERAS) {
    test(`${spec.label}: ctx.signal fires when the client aborts`, { timeout: 10_000 }, async () => {
      const connected = await connect(running.url, spec);
      try {
        const startedBefore = observed.started;
        const abortedBefore = observed.aborted;
        const controller = new AbortController();
        const call = connected.client.callTool({ name: 'wait_for_abort', arguments: { tag: spec.era } }, { timeout: 9_000, signal: controller.signal });
        await waitFor(() => observed.started > startedBefore, 3_000, 'the handler to start');
        controller.abort('stop now');
        await assert.rejects(call, (error: unknown) => SdkError.isInstance(error));
        await waitFor(() => observed.aborted > abortedBefore, 3_000, 'the handler signal to abort');
        const reason = observed.reasons.at(-1) as { code?: string } | undefined;
        assert.equal(reason?.code, 'CANCELLED');
        if (spec.era === 'legacy') {
          const session = running.server.engine.sessions.get(connected.transport.sessionId!)!;
          await waitFor(() => session.inFlightCount === 0, 3_000, 'the session to forget the call');
        }
      } finally {
        await disconnect(connected);
      }
    });
  }
});
