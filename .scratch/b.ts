import { Client, SSEClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startFixture } from '../test/helpers/server.js';
import { buildEchoServer } from '../src/fixtures/echo-server.js';

const fx = await startFixture({}, buildEchoServer);
{
  const client = new Client({ name: 'probe', version: '1.0.0' });
  const base = new URL(fx.url); 
  await client.connect(new SSEClientTransport(new URL('/sse', base)));
  console.log('sse', client.getProtocolEra(), client.getNegotiatedProtocolVersion());
  console.log(JSON.stringify(await client.callTool({ name: 'echo', arguments: { text: 'via sse' } })));
  await client.close();
}
{
  const client = new Client({ name: 'probe', version: '1.0.0' });
  const t = new StdioClientTransport({ command: process.execPath, args: ['dist/fixtures/echo-server.js'], env: { MCPD_TRANSPORT: 'stdio' }, stderr: 'pipe' });
  await client.connect(t);
  console.log('stdio', client.getProtocolEra(), client.getNegotiatedProtocolVersion(), t.pid);
  console.log(JSON.stringify(await client.listTools()));
  console.log(JSON.stringify(await client.callTool({ name: 'echo', arguments: { text: 'via stdio' } })));
  await client.close();
}
{
  const client = new Client({ name: 'probe', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const t = new StdioClientTransport({ command: process.execPath, args: ['dist/fixtures/echo-server.js'], env: { MCPD_TRANSPORT: 'stdio' }, stderr: 'pipe' });
  await client.connect(t);
  console.log('stdio', client.getProtocolEra(), client.getNegotiatedProtocolVersion(), t.pid);
  console.log(JSON.stringify(await client.callTool({ name: 'echo', arguments: { text: 'via stdio' } })));
  await client.close();
}
await fx.close();
