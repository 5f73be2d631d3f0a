/**
 * The one registry of tools, resources, resource templates and prompts that both
 * protocol eras serve. Everything derivable from a definition — the JSON Schema,
 * the list entry, the argument validator — is computed once here, at
 * registration, never per request.
 */
import { z } from 'zod';
import type {
  PromptArgumentInfo,
  PromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
  ToolDefinition,
  ZodObjectLike,
} from '../api/types.js';
import { McpdError } from '../chassis/errors.js';
import { paramHeadersOf, type ParamHeader } from './envelope.js';
import { compileJsonSchemaValidator } from './json-schema-validator.js';
import { compileUriTemplate, type CompiledUriTemplate } from './uri-template.js';

export type RegistryKind = 'tools' | 'resources' | 'prompts';

export interface ValidationOutcome<T> {
  ok: boolean;
  value?: T;
  message?: string;
}

export interface CompiledTool {
  readonly definition: ToolDefinition<any, any>;
  readonly descriptor: Record<string, unknown>;
  readonly hasOutputSchema: boolean;
  /** Arguments mirrored in `Mcp-Param-*` headers (2026-07-28 HTTP). */
  readonly paramHeaders: readonly ParamHeader[];
  validate(args: unknown): ValidationOutcome<Record<string, unknown>>;
}

export interface CompiledTemplate {
  readonly definition: ResourceTemplateDefinition;
  readonly descriptor: Record<string, unknown>;
  readonly matcher: CompiledUriTemplate;
}

export interface CompiledPrompt {
  readonly definition: PromptDefinition<any>;
  readonly descriptor: Record<string, unknown>;
  validate(args: unknown): ValidationOutcome<Record<string, unknown>>;
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const EMPTY_OBJECT_SCHEMA = z.object({});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(arguments)'}: ${issue.message}`)
    .join('; ');
}

function makeValidator(schema: ZodObjectLike): (args: unknown) => ValidationOutcome<Record<string, unknown>> {
  return (args: unknown) => {
    const parsed = schema.safeParse(args ?? {});
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: describeIssues(parsed.error) };
  };
}

export function toJsonSchema(schema: ZodObjectLike, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  if (json.type === undefined) json.type = 'object';
  return json;
}

function copyDefined(target: Record<string, unknown>, source: object, keys: readonly string[]): Record<string, unknown> {
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) target[key] = value;
  }
  return target;
}

function promptArguments(schema: ZodObjectLike | undefined): PromptArgumentInfo[] | undefined {
  if (!schema) return undefined;
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) return undefined;
  return Object.entries(shape).map(([name, field]) => {
    const info: PromptArgumentInfo = { name, required: !field.safeParse(undefined).success };
    if (field.description) info.description = field.description;
    return info;
  });
}

type Listener = (kind: RegistryKind) => void;

export class Registry {
  readonly tools = new Map<string, CompiledTool>();
  readonly resources = new Map<string, ResourceDefinition>();
  readonly templates = new Map<string, CompiledTemplate>();
  readonly prompts = new Map<string, CompiledPrompt>();
  private readonly listeners = new Set<Listener>();
  private toolList: Record<string, unknown>[] | undefined;
  private resourceList: Record<string, unknown>[] | undefined;
  private templateList: Record<string, unknown>[] | undefined;
  private promptList: Record<string, unknown>[] | undefined;

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(kind: RegistryKind): void {
    if (kind === 'tools') this.toolList = undefined;
    if (kind === 'resources') {
      this.resourceList = undefined;
      this.templateList = undefined;
    }
    if (kind === 'prompts') this.promptList = undefined;
    for (const listener of this.listeners) listener(kind);
  }

  addTool(definition: ToolDefinition<any, any>): void {
    if (!TOOL_NAME.test(definition.name)) {
      throw new McpdError('VALIDATION_ERROR', `Tool name "${definition.name}" must match ${TOOL_NAME}`);
    }
    if (this.tools.has(definition.name)) throw new McpdError('CONFLICT', `Tool "${definition.name}" is already registered`);
    const descriptor = copyDefined({ name: definition.name }, definition, ['title', 'description']);
    let validate: CompiledTool['validate'];
    if (definition.input === undefined && definition.inputSchema !== undefined) {
      descriptor.inputSchema = definition.inputSchema;
      validate = compileJsonSchemaValidator(definition.inputSchema);
    } else {
      const input = (definition.input ?? EMPTY_OBJECT_SCHEMA) as ZodObjectLike;
      descriptor.inputSchema = toJsonSchema(input, 'input');
      validate = makeValidator(input);
    }
    if (definition.output) descriptor.outputSchema = toJsonSchema(definition.output, 'output');
    copyDefined(descriptor, definition, ['annotations', 'icons', '_meta']);
    if (definition.taskSupport && definition.taskSupport !== 'forbidden') {
      descriptor.execution = { taskSupport: definition.taskSupport };
    }
    this.tools.set(definition.name, {
      definition,
      descriptor,
      hasOutputSchema: definition.output !== undefined,
      paramHeaders: paramHeadersOf(descriptor.inputSchema as Record<string, unknown>),
      validate,
    });
    this.changed('tools');
  }

  removeTool(name: string): boolean {
    const removed = this.tools.delete(name);
    if (removed) this.changed('tools');
    return removed;
  }

  addResource(definition: ResourceDefinition): void {
    if (this.resources.has(definition.uri)) throw new McpdError('CONFLICT', `Resource "${definition.uri}" is already registered`);
    this.resources.set(definition.uri, definition);
    this.changed('resources');
  }

  removeResource(uri: string): boolean {
    const removed = this.resources.delete(uri);
    if (removed) this.changed('resources');
    return removed;
  }

  addResourceTemplate(definition: ResourceTemplateDefinition): void {
    if (this.templates.has(definition.uriTemplate)) {
      throw new McpdError('CONFLICT', `Resource template "${definition.uriTemplate}" is already registered`);
    }
    const descriptor = copyDefined({ uriTemplate: definition.uriTemplate, name: definition.name }, definition, [
      'title',
      'description',
      'mimeType',
      'annotations',
      'icons',
      '_meta',
    ]);
    this.templates.set(definition.uriTemplate, { definition, descriptor, matcher: compileUriTemplate(definition.uriTemplate) });
    this.changed('resources');
  }

  addPrompt(definition: PromptDefinition<any>): void {
    if (this.prompts.has(definition.name)) throw new McpdError('CONFLICT', `Prompt "${definition.name}" is already registered`);
    const descriptor = copyDefined({ name: definition.name }, definition, ['title', 'description']);
    const args = promptArguments(definition.arguments);
    if (args) descriptor.arguments = args;
    copyDefined(descriptor, definition, ['icons', '_meta']);
    const schema = (definition.arguments ?? EMPTY_OBJECT_SCHEMA) as ZodObjectLike;
    this.prompts.set(definition.name, { definition, descriptor, validate: makeValidator(schema) });
    this.changed('prompts');
  }

  removePrompt(name: string): boolean {
    const removed = this.prompts.delete(name);
    if (removed) this.changed('prompts');
    return removed;
  }

  listTools(): Record<string, unknown>[] {
    return (this.toolList ??= [...this.tools.values()].map((tool) => tool.descriptor));
  }

  listResources(): Record<string, unknown>[] {
    return (this.resourceList ??= [...this.resources.values()].map((resource) =>
      copyDefined({ uri: resource.uri, name: resource.name }, resource, [
        'title',
        'description',
        'mimeType',
        'size',
        'annotations',
        'icons',
        '_meta',
      ]),
    ));
  }

  listTemplates(): Record<string, unknown>[] {
    return (this.templateList ??= [...this.templates.values()].map((template) => template.descriptor));
  }

  listPrompts(): Record<string, unknown>[] {
    return (this.promptList ??= [...this.prompts.values()].map((prompt) => prompt.descriptor));
  }

  /** Finds the template serving a URI, with its variables. */
  matchTemplate(uri: string): { template: CompiledTemplate; variables: Record<string, string> } | undefined {
    for (const template of this.templates.values()) {
      const variables = template.matcher.match(uri);
      if (variables) return { template, variables };
    }
    return undefined;
  }
}
