/**
 * `McpServer`: the assembly of the protocol engine, the registry and the
 * transports behind the public authoring API. Users and the built-in tool
 * packs register through exactly these methods.
 */
import type { PromptDefinition, ResourceDefinition, ResourceTemplateDefinition, ToolDefinition } from './api/types.js';
import { Engine, type EngineOptions, type ServerMiddleware } from './protocol/engine.js';
import type { HttpTransport, HttpTransportOptions } from './transports/http/server.js';
import { serveStdio, type StdioOptions } from './transports/stdio.js';

export type ServerOptions = EngineOptions;

export class McpServer {
  readonly engine: Engine;
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(options: ServerOptions) {
    this.engine = new Engine(options);
  }

  tool(definition: ToolDefinition<any, any>): this {
    this.engine.registry.addTool(definition);
    return this;
  }

  removeTool(name: string): boolean {
    return this.engine.registry.removeTool(name);
  }

  resource(definition: ResourceDefinition): this {
    this.engine.registry.addResource(definition);
    return this;
  }

  resourceTemplate(definition: ResourceTemplateDefinition): this {
    this.engine.registry.addResourceTemplate(definition);
    return this;
  }

  prompt(definition: PromptDefinition<any>): this {
    this.engine.registry.addPrompt(definition);
    return this;
  }

  removePrompt(name: string): boolean {
    return this.engine.registry.removePrompt(name);
  }

  /** Adds a `(ctx, next)` middleware that every JSON-RPC request passes through. */
  use(middleware: ServerMiddleware): this {
    this.engine.use(middleware);
    return this;
  }

  /** Tells subscribed clients that a resource changed. */
  notifyResourceUpdated(uri: string): void {
    this.engine.notifyResourceUpdated(uri);
  }

  async listenHttp(options: Partial<HttpTransportOptions> = {}): Promise<HttpTransport & { url: string }> {
    // Loaded on demand: a stdio server never parses the HTTP transport.
    const { HttpTransport } = await import('./transports/http/server.js');
    const transport = new HttpTransport(this.engine, options);
    const address = await transport.listen();
    this.closers.push(() => transport.close());
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return Object.assign(transport, { url: `http://${host}:${address.port}${options.path ?? '/mcp'}` });
  }

  serveStdio(options: StdioOptions = {}): { closed: Promise<void>; close(): void } {
    const served = serveStdio(this.engine, options);
    this.closers.push(() => served.close());
    return served;
  }

  async close(): Promise<void> {
    this.engine.close();
    for (const close of this.closers.splice(0).reverse()) await close();
  }
}

export function createServer(options: ServerOptions): McpServer {
  return new McpServer(options);
}
