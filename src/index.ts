/**
 * mcpd's public API: build a server, register tools, resources and prompts,
 * add middleware, serve it over any transport.
 */
export { createServer, McpServer, type ServerOptions } from './server.js';
export { defineTool, defineResource, defineResourceTemplate, definePrompt } from './api/define.js';
export type * from './api/types.js';
export { McpdError, ErrorCode, JsonRpcErrorCode } from './chassis/errors.js';
export type { Middleware, Next } from './chassis/middleware.js';
export type { RequestContext } from './protocol/context.js';
export type { ServerMiddleware } from './protocol/engine.js';
export { MemoryEventStore, type EventStore } from './transports/http/event-store.js';
export type { HttpTransportOptions } from './transports/http/server.js';
export { STATELESS_VERSION, SUPPORTED_VERSIONS } from './protocol/versions.js';
