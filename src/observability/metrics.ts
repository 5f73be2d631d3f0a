/**
 * Prometheus metrics (prom-client). Every metric is declared here, documented
 * in docs/metrics.md, and labelled only with bounded values: tool labels are
 * registered tool names, anything else is `unknown`; methods outside the
 * protocol's method set are `other`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
  readonly requests: Counter<'method' | 'status'>;
  readonly requestDuration: Histogram<'method'>;
  readonly toolCalls: Counter<'tool' | 'outcome'>;
  readonly toolDuration: Histogram<'tool'>;
  readonly inFlight: Gauge;
  readonly sessions: Gauge;
  readonly streams: Gauge;
  readonly tasks: Gauge;
  readonly overloadRejections: Counter;
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
}

export function createMetrics(options: { processMetrics: boolean; samplers: MetricSamplers }): Metrics {
  const { samplers } = options;
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'mcp_requests_total',
    help: 'JSON-RPC requests handled, by method and outcome (ok or the error code).',
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'mcp_request_duration_seconds',
    help: 'Time from a JSON-RPC request arriving to its response, by method.',
    labelNames: ['method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const toolCalls = new Counter({
    name: 'mcp_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok, tool_error, or the protocol error code).',
    labelNames: ['tool', 'outcome'] as const,
    registers: [registry],
  });
  const toolDuration = new Histogram({
    name: 'mcp_tool_duration_seconds',
    help: 'Tool call duration by tool.',
    labelNames: ['tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'mcp_requests_in_flight', help: 'JSON-RPC requests being handled now.', registers: [registry] });
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
    help: 'Requests refused with 503 because the in-flight cap was reached or the server was draining.',
    registers: [registry],
  });
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
    eventLoopLag,
    render: () => registry.metrics(),
    stop: () => registry.clear(),
  };
}
