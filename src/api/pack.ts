/**
 * Tool packs: self-contained bundles of tools, resources and prompts with
 * their own dependencies (a connection pool, an HTTP client), built on the
 * same authoring API as user tools. A pack gets a host — Fastify-style
 * encapsulation: it registers its items, its readiness checks, its start/stop
 * hooks and its metrics there, and sees nothing else of the server.
 */
import type { Registry } from 'prom-client';
import type { ResultCache } from '../chassis/cache/result-cache.js';
import type { PromptDefinition, ResourceDefinition, ResourceTemplateDefinition, ServerLogger, ToolDefinition } from './types.js';

export interface PackHost {
  tool(definition: ToolDefinition<any, any>): void;
  resource(definition: ResourceDefinition): void;
  resourceTemplate(definition: ResourceTemplateDefinition): void;
  prompt(definition: PromptDefinition<any>): void;
  /** The server log, with the pack's name on every line. */
  readonly logger: ServerLogger;
  /** A dependency check run by the readiness endpoint (throw or reject: not ready). */
  readiness(name: string, check: (signal: AbortSignal) => Promise<void> | void): void;
  /** Start and stop hooks, run in registration order and stopped in reverse with the server. */
  lifecycle(component: { name: string; start?(): Promise<void> | void; stop?(): Promise<void> | void }): void;
  /** The Prometheus registry for the pack's own metrics; undefined when metrics are off. */
  readonly metrics: Registry | undefined;
  /**
   * The server's result cache under a namespace of the pack's own (`db`, `http`…): memory or Redis
   * per the `cache` configuration, counted in `mcp_cache_*_total{cache="<namespace>"}`. A namespace
   * belongs to one pack; keys always carry the caller's identity.
   */
  cache(namespace: string): ResultCache;
}

export interface ToolPack {
  readonly name: string;
  setup(host: PackHost): void;
}
