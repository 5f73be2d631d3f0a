/**
 * `mcpd/app`: the assembled service for embedders — load the layered
 * configuration, build mcpd with your tools (and audit sinks), run it with
 * signal handling. Kept apart from the root entry so a library user who only
 * builds a server does not load the chassis' logging, metrics and tracing.
 */
export { createMcpd, type Mcpd, type McpdOptions } from './mcpd.js';
export { runMcpd } from './run.js';
export { loadConfig, type McpdConfig } from './config.js';
export type { AuditEvent, AuditSink } from '../security/audit.js';
