/**
 * The HTTP request tool pack: `http_request` over a client that reaches only
 * vetted public addresses (or networks the operator allows), with retries, a
 * circuit per host, a capped body and an optional GET cache.
 */
import type { PackHost, ToolPack } from '../../api/pack.js';
import { HttpClient } from './client.js';
import { httpMetrics } from './metrics.js';
import { HostBreakers } from './resilience/breakers.js';
import type { HttpRequestsSettings } from './settings.js';
import { AddressPolicy } from './ssrf/address-policy.js';
import { UrlPolicy } from './ssrf/url-policy.js';
import { createVettedAgent } from './ssrf/vetted-agent.js';
import { httpRequestTool } from './tools.js';

export function httpPack(settings: HttpRequestsSettings): ToolPack {
  return {
    name: 'http',
    setup(host: PackHost) {
      if (!settings.enabled) return;
      // Built now: a malformed allowPrivateNetworks entry stops the server at start, not the first call.
      const addresses = new AddressPolicy(settings.allowPrivateNetworks);
      const urlPolicy = new UrlPolicy(settings, addresses);
      const breakers = new HostBreakers(settings.breaker);
      const observer = httpMetrics(host.metrics, () => breakers.states());
      const cache = settings.cache.maxTtlMs > 0 ? host.cache('http') : undefined;
      let client: HttpClient | undefined;
      let agent: ReturnType<typeof createVettedAgent> | undefined;
      const current = () => {
        if (!client) {
          // Created on first use: the agent's pools cost nothing until an agent calls out.
          agent = createVettedAgent({ policy: addresses, connectTimeoutMs: settings.connectTimeoutMs });
          client = new HttpClient(settings, { dispatcher: agent, urlPolicy, breakers, cache, observer });
        }
        return client;
      };
      host.lifecycle({ name: 'http', stop: async () => void (await agent?.close()) });
      host.tool(httpRequestTool(settings, current));
    },
  };
}
