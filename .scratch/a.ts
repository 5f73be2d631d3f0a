import { Client, StreamableHTTPClientTransport, SdkError } from '@modelcontextprotocol/client';
import { startFixture } from '../test/helpers/server.js';

const fx = await startFixture();
for (const era of ['legacy', 'modern'] as const) {
  const client = new Client({ name: 'probe', version: '1.0.0' }, {
    capabilities: { elicitation: { form: {} }, sampling: {}, roots: { listChanged: true } },
    versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' },
  });
  client.setRequestHandler('elicitation/create', async (req) => { console.log('elicit', JSON.stringify(req.params)); return { action: 'accept', content: { username: 'alice', email: 'a@x', name: 'Alice' } }; });
  client.setRequestHandler('sampling/createMessage', async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled' } }));
  const t = new StreamableHTTPClientTransport(new URL(fx.url));
  await client.connect(t);
  console.log(era, client.getProtocolEra(), client.getNegotiatedProtocolVersion(), t.sessionId);
  console.log((await client.listTools()).tools.length);
  console.log(JSON.stringify(await client.callTool({ name: 'test_simple_text', arguments: {} })));
  console.log(JSON.stringify(await client.readResource({ uri: 'test://template/7/data' })));
  console.log(JSON.stringify(await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } })));
  console.log(JSON.stringify(await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'te' } })));
  console.log(JSON.stringify(await client.complete({ ref: { type: 'ref/resource', uri: 'test://template/{id}/data' }, argument: { name: 'id', value: '1' } })));
  const prog: unknown[] = [];
  console.log(JSON.stringify(await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => prog.push(p) })), JSON.stringify(prog));
  try {
    console.log(JSON.stringify(await client.callTool({ name: era === 'legacy' ? 'test_elicitation' : 'test_input_required_result_elicitation', arguments: { message: 'hi' } })));
  } catch (e) { console.log('elicit err', e); }
  if (era === 'legacy') {
    try { console.log(JSON.stringify(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'p' } }))); } catch (e) { console.log('sampl err', e); }
  }
  const ac = new AbortController();
  setTimeout(() => ac.abort('user cancelled'), 200);
  const t0 = Date.now();
  try { await client.callTool({ name: 'slow_compute', arguments: { seconds: 30 } }, { signal: ac.signal }); } catch (e) { console.log('cancel', Date.now() - t0, (e as Error).message, SdkError.isInstance(e) && e.code); }
  await client.close();
}
await fx.close();
