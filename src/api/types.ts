/**
 * The tool authoring API: what a user (or a built-in tool pack) writes to give
 * mcpd a tool, a resource, a resource template, a prompt or a completion.
 *
 * These are plain TypeScript shapes of the MCP wire types that handlers return;
 * the spec's own zod schemas (`@modelcontextprotocol/core`) check them in tests.
 */
import type { z } from 'zod';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

export interface Annotations {
  audience?: ('user' | 'assistant')[];
  priority?: number;
  lastModified?: string;
}

export interface TextContent {
  type: 'text';
  text: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}
export interface ImageContent {
  type: 'image';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}
export interface AudioContent {
  type: 'audio';
  data: string;
  mimeType: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}
export interface TextResourceContents {
  uri: string;
  mimeType?: string;
  text: string;
  _meta?: Record<string, unknown>;
}
export interface BlobResourceContents {
  uri: string;
  mimeType?: string;
  blob: string;
  _meta?: Record<string, unknown>;
}
export type ResourceContents = TextResourceContents | BlobResourceContents;
export interface EmbeddedResource {
  type: 'resource';
  resource: ResourceContents;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}
export interface ResourceLink {
  type: 'resource_link';
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  _meta?: Record<string, unknown>;
}
export type ContentBlock = TextContent | ImageContent | AudioContent | EmbeddedResource | ResourceLink;

export interface CallToolResult {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** What a tool handler may return: text, content blocks, a full result, or (with an output schema) the structured value. */
export type ToolReturn = string | ContentBlock[] | CallToolResult | Record<string, unknown>;

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}

export interface Identity {
  /** Stable subject: API key name, JWT `sub`, or `anonymous`. */
  subject: string;
  scopes: readonly string[];
  /** Where it came from: `none`, `api-key`, `jwt`, `stdio`… */
  method: string;
  claims?: Readonly<Record<string, unknown>>;
}

export type Transport = 'http' | 'sse' | 'websocket' | 'stdio';

export interface ElicitRequest {
  mode?: 'form' | 'url';
  message: string;
  requestedSchema?: Record<string, unknown>;
  url?: string;
  elicitationId?: string;
  _meta?: Record<string, unknown>;
}
export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}
export interface SamplingMessage {
  role: 'user' | 'assistant';
  content: unknown;
}
export interface CreateMessageRequest {
  messages: SamplingMessage[];
  maxTokens: number;
  systemPrompt?: string;
  temperature?: number;
  stopSequences?: string[];
  modelPreferences?: Record<string, unknown>;
  includeContext?: 'none' | 'thisServer' | 'allServers';
  metadata?: Record<string, unknown>;
  tools?: unknown[];
  toolChoice?: unknown;
  _meta?: Record<string, unknown>;
}
export interface CreateMessageResult {
  role: 'user' | 'assistant';
  content: unknown;
  model: string;
  stopReason?: string;
  _meta?: Record<string, unknown>;
}
export interface Root {
  uri: string;
  name?: string;
  _meta?: Record<string, unknown>;
}
export interface ListRootsResult {
  roots: Root[];
  _meta?: Record<string, unknown>;
}

export interface ClientLogger {
  debug(data: unknown): void;
  info(data: unknown): void;
  notice(data: unknown): void;
  warning(data: unknown): void;
  error(data: unknown): void;
  critical(data: unknown): void;
  alert(data: unknown): void;
  emergency(data: unknown): void;
  log(level: LogLevel, data: unknown, logger?: string): void;
}

/** The server's own log (not the client's): lines carry the request's correlation fields. */
export interface ServerLogger {
  debug(fields: Record<string, unknown> | string, message?: string): void;
  info(fields: Record<string, unknown> | string, message?: string): void;
  warn(fields: Record<string, unknown> | string, message?: string): void;
  error(fields: Record<string, unknown> | string, message?: string): void;
}

/** What every handler (tool, resource, prompt, completion) receives. */
export interface HandlerContext {
  readonly requestId: string | number;
  readonly method: string;
  readonly identity: Identity | undefined;
  /** Aborted when the client cancels, the connection drops, or the server drains. */
  readonly signal: AbortSignal;
  /**
   * Calls `listener` once with the reason when the request is aborted (when `signal` would fire; at once if it
   * already was) and returns a function that unsubscribes. The cheap way to hear of cancellation on a hot path:
   * `signal` is created on first use, and creating an AbortController and listening to it costs ~10–25 µs per
   * call on Node 20 (measured against a 1 KB HTTP call in bench/http.mjs); this costs a closure.
   */
  onAbort(listener: (reason: unknown) => void): () => void;
  readonly transport: Transport;
  readonly protocolVersion: string;
  readonly sessionId: string | undefined;
  /** The request's `_meta` (trace context, progress token, envelope fields). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Messages to the client's log (`notifications/message`), filtered by the client's level. */
  readonly log: ClientLogger;
  /** The server log, with request_id, session_id, method and tool on every line. */
  readonly logger: ServerLogger;
  /**
   * The OpenTelemetry `Context` of this call's span (undefined with tracing off): parent your spans on it,
   * `tracer.startSpan(name, {}, ctx.traceContext as Context)`. With `tracing.asyncContext` the span is
   * also the active one.
   */
  readonly traceContext: unknown;
  /** What the client declared it can do (initialize, or the request's envelope). */
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
}

export interface ToolContext extends HandlerContext {
  /** Reports progress when the client asked for it (a progress token); a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): void;
  /**
   * Asks the user for input through the client. Works in both protocol eras; in
   * the stateless era `key` names the input request (default: `elicitation-<n>`).
   */
  elicit(request: ElicitRequest, key?: string): Promise<ElicitResult>;
  /** Asks the client's model for a completion. Works in both protocol eras. */
  sample(request: CreateMessageRequest, key?: string): Promise<CreateMessageResult>;
  /** Asks the client for its roots. Works in both protocol eras. */
  listRoots(key?: string): Promise<ListRootsResult>;
  /**
   * Ends the current SSE connection without ending the call (2025-era HTTP with
   * an event store): the client reconnects with Last-Event-ID and receives the
   * rest. Lets long calls free connections (SSE polling). A no-op elsewhere.
   */
  closeStream(): void;
}

export type ZodObjectLike = z.ZodType<Record<string, unknown>>;

export interface ToolDefinition<I extends ZodObjectLike = ZodObjectLike, O extends ZodObjectLike = ZodObjectLike> {
  name: string;
  title?: string;
  description?: string;
  /** zod object schema of the arguments; compiled once, its JSON Schema published in tools/list. */
  input?: I;
  /** zod object schema of `structuredContent`. */
  output?: O;
  /**
   * A raw JSON Schema for the arguments, published verbatim and enforced with a
   * compiled JSON Schema validator; for schemas zod cannot express. Ignored when
   * `input` is given.
   */
  inputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  icons?: Icon[];
  /** Task support for the tasks extension: may the client run this tool as a task? */
  taskSupport?: 'forbidden' | 'optional' | 'required';
  /** Argument fields whose values must never be logged or audited. */
  sensitive?: readonly string[];
  /** Scopes a caller needs (enforced once access control is configured). */
  scopes?: readonly string[];
  _meta?: Record<string, unknown>;
  /**
   * Runs before a task is created (tasks extension) and may ask for input in the
   * request itself; its value reaches the handler as `ctx.prepared`. Without
   * tasks it simply runs first.
   */
  prepare?(args: z.infer<I>, ctx: ToolContext): unknown;
  handler(args: z.infer<I>, ctx: ToolContext & { prepared?: unknown }): ToolReturn | Promise<ToolReturn>;
}

export interface ResourceDefinition {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
  annotations?: Annotations;
  icons?: Icon[];
  scopes?: readonly string[];
  _meta?: Record<string, unknown>;
  read(ctx: ToolContext): ResourceReadReturn | Promise<ResourceReadReturn>;
}

export type ResourceReadReturn = string | ResourceContents | ResourceContents[] | { contents: ResourceContents[] };

export type Completer = (value: string, context: { arguments: Record<string, string> }, ctx: HandlerContext) => string[] | Promise<string[]>;

export interface ResourceTemplateDefinition {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  annotations?: Annotations;
  icons?: Icon[];
  scopes?: readonly string[];
  _meta?: Record<string, unknown>;
  /** Completers for template variables, by variable name. */
  complete?: Record<string, Completer>;
  /** Optional listing of concrete resources this template currently serves. */
  list?(ctx: HandlerContext): ResourceInfo[] | Promise<ResourceInfo[]>;
  read(uri: string, variables: Record<string, string>, ctx: ToolContext): ResourceReadReturn | Promise<ResourceReadReturn>;
}

export interface ResourceInfo {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  size?: number;
}

export interface PromptArgumentInfo {
  name: string;
  description?: string;
  required?: boolean;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  content: ContentBlock;
}

export interface GetPromptResult {
  description?: string;
  messages: PromptMessage[];
  _meta?: Record<string, unknown>;
}

export interface PromptDefinition<A extends ZodObjectLike = ZodObjectLike> {
  name: string;
  title?: string;
  description?: string;
  /** zod object of string arguments; each field's `.describe()` becomes the argument's description. */
  arguments?: A;
  icons?: Icon[];
  scopes?: readonly string[];
  _meta?: Record<string, unknown>;
  complete?: Record<string, Completer>;
  get(args: z.infer<A>, ctx: ToolContext): GetPromptResult | PromptMessage[] | string | Promise<GetPromptResult | PromptMessage[] | string>;
}
