// The http_request tool on the official MCP TypeScript SDK v2, for bench/http.mjs: the HTTP pack's own tool
// (dist/packs/http/tools.js: same input and output schemas, same handler and result) over the same client
// (HttpClient, vetted agent, URL and address policies, circuit breakers; no cache), built as
// src/packs/http/index.ts builds it, served stateless (2026-07-28) through createMcpHandler as
// bench/sdk-echo-server.mjs serves it. `npm run build` first.
// Run: PORT=3000 BENCH_HTTP_UPSTREAM_PORT=4000 node bench/sdk-http-server.mjs   (upstream on 127.0.0.1, allowed)
import { McpServer } from '@modelcontextprotocol/server';
import { serveSdk } from './sdk-serve.mjs';
import { HttpClient } from '../dist/packs/http/client.js';
import { HostBreakers } from '../dist/packs/http/resilience/breakers.js';
import { httpRequestsSection } from '../dist/packs/http/settings.js';
import { AddressPolicy } from '../dist/packs/http/ssrf/address-policy.js';
import { UrlPolicy } from '../dist/packs/http/ssrf/url-policy.js';
import { createVettedAgent } from '../dist/packs/http/ssrf/vetted-agent.js';
import { httpRequestTool } from '../dist/packs/http/tools.js';

const settings = httpRequestsSection.parse({ allowPrivateNetworks: ['127.0.0.1/32'], allowedPorts: [Number(process.env.BENCH_HTTP_UPSTREAM_PORT)] });
const addresses = new AddressPolicy(settings.allowPrivateNetworks);
const agent = createVettedAgent({ policy: addresses, connectTimeoutMs: settings.connectTimeoutMs });
const client = new HttpClient(settings, { dispatcher: agent, urlPolicy: new UrlPolicy(settings, addresses), breakers: new HostBreakers(settings.breaker) });
const tool = httpRequestTool(settings, () => client);

/** The part of mcpd's handler context the tool uses, over the SDK's request signal. */
function contextOf(signal) {
  return {
    identity: undefined,
    signal,
    onAbort(listener) {
      const onAbort = () => listener(signal.reason);
      if (signal.aborted) {
        onAbort();
        return () => {};
      }
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}

function build() {
  const server = new McpServer({ name: 'sdk-http', version: '1.0.0' });
  server.registerTool(
    tool.name,
    { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: tool.annotations },
    (args, ctx) => tool.handler(args, contextOf(ctx?.mcpReq?.signal ?? new AbortController().signal)),
  );
  return server;
}

serveSdk(build, 'sdk http', () => agent.close());
