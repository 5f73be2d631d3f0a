/**
 * Prometheus metrics (prom-client). Every metric is declared here, documented
 * in docs/metrics.md, and labelled only with bounded values: tool labels are
 * registered tool names, anything else is `unknown`; methods outside the
 * protocol's method set are `other`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
  'server/discover',
  'subscriptions/listen',
  'tasks/get',
  'tasks/update',
  'tasks/cancel',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);

export const methodLabel = (method: string): string => (KNOWN_METHODS.has(method) ? method : 'other');

export interface Metrics {
  readonly registry: Registry;
  readonly requests: FastCounter;
  readonly requestDuration: FastHistogram;
  readonly toolCalls: FastCounter;
  readonly toolDuration: FastHistogram;
  /** Requests being handled now (a plain number on the hot path, read at scrape time). */
  readonly inFlight: { value: number };
  readonly sessions: Gauge;
  readonly streams: Gauge;
  readonly tasks: Gauge;
  readonly overloadRejections: Counter<'reason'>;
  readonly rateLimitDecisions: FastCounter;
  readonly rateLimitStoreErrors: Counter;
  /** Result-cache lookups and failures by namespace (`cache` label: `db`, …). */
  readonly cacheHits: Counter<'cache'>;
  readonly cacheMisses: Counter<'cache'>;
  readonly cacheErrors: Counter<'cache'>;
  readonly eventLoopLag: Gauge;
  render(): Promise<string>;
  stop(): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Live values read at scrape time (gauges of state, not counters on the hot path). */
export interface MetricSamplers {
  sessions(): number;
  streams(): number;
  tasks(): number;
  eventLoopLagSeconds(): number;
  /** The memory cache store's size; absent with the Redis store (Redis reports its own). */
  cache?: { readonly entries: number; readonly bytes: number };
}

export function createMetrics(options: { processMetrics: boolean; samplers: MetricSamplers }): Metrics {
  const { samplers } = options;
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  // The four per-request series: hand-written for the hot path (fast-metrics.ts), same exposition format.
  const requests = new FastCounter('mcp_requests_total', 'JSON-RPC requests handled, by method and outcome (ok or the error code).');
  const requestDuration = new FastHistogram(
    'mcp_request_duration_seconds',
    'Time from a JSON-RPC request arriving to its response, by method.',
    LATENCY_BUCKETS,
  );
  const toolCalls = new FastCounter('mcp_tool_calls_total', 'Tool calls by tool and outcome (ok, tool_error, or the protocol error code).');
  const toolDuration = new FastHistogram('mcp_tool_duration_seconds', 'Tool call duration by tool.', LATENCY_BUCKETS);
  for (const metric of [requests, requestDuration, toolCalls, toolDuration]) registry.registerMetric(metric as never);
  const inFlight = { value: 0 };
  const inFlightGauge: Gauge = new Gauge({
    name: 'mcp_requests_in_flight',
    help: 'JSON-RPC requests being handled now.',
    registers: [registry],
    collect: () => inFlightGauge.set(inFlight.value),
  });
  const sessions: Gauge = new Gauge({
    name: 'mcp_sessions_open',
    help: 'Open 2025-era sessions (all transports).',
    registers: [registry],
    collect: () => sessions.set(samplers.sessions()),
  });
  const streams: Gauge = new Gauge({
    name: 'mcp_streams_open',
    help: 'Open resumable SSE streams (2025-era request and notification streams).',
    registers: [registry],
    collect: () => streams.set(samplers.streams()),
  });
  const tasks: Gauge = new Gauge({
    name: 'mcp_tasks',
    help: 'Tasks held by the task store (running and finished, until they expire).',
    registers: [registry],
    collect: () => tasks.set(samplers.tasks()),
  });
  const overloadRejections = new Counter({
    name: 'mcp_overload_rejections_total',
    help: 'Requests refused with 503 by reason: overload (in-flight cap), draining, connections (per-address connection cap).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const rateLimitDecisions = new FastCounter('mcp_rate_limit_decisions_total', 'Rate-limit decisions by outcome (allowed, limited, store_unavailable).');
  registry.registerMetric(rateLimitDecisions as never);
  const rateLimitStoreErrors = new Counter({
    name: 'mcp_rate_limit_store_errors_total',
    help: 'Failures to reach the shared rate-limit store (Redis); the failure policy applied instead.',
    registers: [registry],
  });
  const cacheCounter = (name: string, help: string) => new Counter({ name, help, labelNames: ['cache'], registers: [registry] });
  const cacheHits = cacheCounter('mcp_cache_hits_total', 'Result-cache lookups answered from the cache, by namespace (cache).');
  const cacheMisses = cacheCounter('mcp_cache_misses_total', 'Result-cache lookups not answered from the cache (absent, expired, or the store failed), by namespace (cache).');
  const cacheErrors = cacheCounter('mcp_cache_errors_total', 'Result-cache store failures (Redis unreachable or slow, an unreadable entry), by namespace (cache); the call went on without the cache.');
  const cacheStore = samplers.cache;
  if (cacheStore) {
    const entries: Gauge = new Gauge({
      name: 'mcp_cache_entries',
      help: 'Entries held by the in-memory result cache (every namespace).',
      registers: [registry],
      collect: () => entries.set(cacheStore.entries),
    });
    const bytes: Gauge = new Gauge({
      name: 'mcp_cache_bytes',
      help: 'Bytes (keys and serialised values) held by the in-memory result cache.',
      registers: [registry],
      collect: () => bytes.set(cacheStore.bytes),
    });
  }
  const eventLoopLag: Gauge = new Gauge({
    name: 'mcp_event_loop_lag_seconds',
    help: 'Event-loop delay, p99 since the previous scrape.',
    registers: [registry],
    collect: () => eventLoopLag.set(samplers.eventLoopLagSeconds()),
  });
  return {
    registry,
    requests,
    requestDuration,
    toolCalls,
    toolDuration,
    inFlight,
    sessions,
    streams,
    tasks,
    overloadRejections,
    rateLimitDecisions,
    rateLimitStoreErrors,
    cacheHits,
    cacheMisses,
    cacheErrors,
    eventLoopLag,
    render: () => registry.metrics(),
    stop: () => registry.clear(),
  };
}
