/**
 * The HTTP pack's metrics. Hosts are chosen by agents, so no metric is
 * labelled by host (unbounded series); circuits are counted by state instead.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HttpObserver } from './client.js';
import type { BreakerState } from './resilience/breakers.js';

/** `2xx`…`5xx` for a status, the error code otherwise. */
function outcomeClass(outcome: string): string {
  return /^\d{3}$/.test(outcome) ? `${outcome[0]}xx` : outcome;
}

export function httpMetrics(registry: Registry | undefined, circuits: () => Iterable<[string, BreakerState]>): HttpObserver | undefined {
  if (!registry) return undefined;
  const attempts = new Counter({
    name: 'http_client_requests_total',
    help: 'Outbound HTTP attempts of the http_request tool by outcome: status class (2xx…5xx) or error code.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_client_request_duration_seconds',
    help: 'Time of one outbound HTTP attempt until its response headers (redirects included).',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const retries = new Counter({ name: 'http_client_retries_total', help: 'Retries of outbound HTTP requests (after a retryable status or connection error).', registers: [registry] });
  new Gauge({
    name: 'http_client_circuits',
    help: 'Hosts whose circuit breaker is in each state (closed, open, half_open).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts: Record<BreakerState, number> = { closed: 0, open: 0, half_open: 0 };
      for (const [, state] of circuits()) counts[state]++;
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  return {
    attempt(_host, outcome, seconds) {
      const label = outcomeClass(outcome);
      attempts.inc({ outcome: label });
      duration.observe({ outcome: label }, seconds);
    },
    retry() {
      retries.inc();
    },
  };
}
