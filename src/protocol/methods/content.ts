/**
 * Resources, resource templates, prompts and completions.
 */
import type { ResourceReadReturn, ResourceTemplateDefinition } from '../../api/types.js';
import { JsonRpcErrorCode, McpdError } from '../../chassis/errors.js';
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { HandlerContextImpl } from '../handler-context.js';
import { normalizePromptResult, normalizeResourceContents } from '../results.js';
import { inputChannelFor, inputRequired, InputRequiredSignal } from './mrtr.js';
import { invalidParams } from './tools.js';

export function listResources(ctx: RequestContext, engine: Engine): Record<string, unknown> | Promise<Record<string, unknown>> {
  const fixed = engine.registry.listResources();
  const listing = [...engine.registry.templates.values()].filter((template) => template.definition.list);
  // The common case stays synchronous: fixed resources only, the list computed once at registration.
  if (listing.length === 0) return { resources: allowedResources(ctx, engine, fixed) };
  return listTemplateResources(ctx, engine, listing.map((template) => template.definition)).then((listed) => ({
    resources: allowedResources(ctx, engine, [...fixed, ...listed]),
  }));
}

function allowedResources(ctx: RequestContext, engine: Engine, resources: Record<string, unknown>[]): Record<string, unknown>[] {
  if (!engine.scopesEnforced) return resources;
  return resources.filter((item) => {
    const uri = item.uri as string;
    const scopes = engine.registry.resources.get(uri)?.scopes ?? engine.registry.matchTemplate(uri)?.template.definition.scopes;
    return engine.allows(ctx, 'resource', uri, scopes);
  });
}

/** The concrete resources templates list (their `list`); one failing listing leaves the others listed. */
async function listTemplateResources(ctx: RequestContext, engine: Engine, templates: ResourceTemplateDefinition[]): Promise<Record<string, unknown>[]> {
  const handlerContext = new HandlerContextImpl(ctx, undefined);
  const listed = await Promise.all(
    templates.map(async (template) => {
      try {
        return (await template.list!(handlerContext)) as unknown as Record<string, unknown>[];
      } catch (error) {
        handlerContext.logger.warn({ template: template.uriTemplate, error: error instanceof McpdError ? error.code : 'INTERNAL' }, 'resource template listing failed');
        return [];
      }
    }),
  );
  return listed.flat();
}

export function listResourceTemplates(_ctx: RequestContext, engine: Engine): Record<string, unknown> {
  return { resourceTemplates: engine.registry.listTemplates() };
}

function resourceNotFound(ctx: RequestContext, uri: string): McpdError {
  return new McpdError('NOT_FOUND', `Resource not found: ${uri}`, {
    // 2026-07-28 retired -32002 in favour of -32602 with data.uri (SEP-2164).
    jsonRpcCode: ctx.era === 'stateless' ? JsonRpcErrorCode.INVALID_PARAMS : JsonRpcErrorCode.RESOURCE_NOT_FOUND,
    data: { uri },
    protocol: true,
  });
}

/** Runs a content handler that may ask for input (a stateless round may end in input_required). */
async function withInput<T>(
  ctx: RequestContext,
  engine: Engine,
  target: string,
  run: (handlerContext: HandlerContextImpl) => Promise<T>,
): Promise<T | Record<string, unknown>> {
  const handlerContext = new HandlerContextImpl(ctx, () => inputChannelFor(ctx, engine, target));
  try {
    return await run(handlerContext);
  } catch (error) {
    if (error instanceof InputRequiredSignal) return inputRequired(ctx, engine, error, target);
    throw error;
  }
}

export async function readResource(ctx: RequestContext, engine: Engine): Promise<unknown> {
  const uri = ctx.params.uri;
  if (typeof uri !== 'string') throw invalidParams('Invalid params: resources/read needs a uri');
  const resource = engine.registry.resources.get(uri);
  if (resource && !engine.allows(ctx, 'resource', uri, resource.scopes)) throw engine.permissionDenied('resource', uri, engine.requiredScopes('resource', uri, resource.scopes));
  if (resource) {
    return withInput(ctx, engine, uri, async (handlerContext) => ({
      contents: normalizeResourceContents(uri, resource.mimeType, await resource.read(handlerContext)),
    }));
  }
  const match = engine.registry.matchTemplate(uri);
  if (!match) throw resourceNotFound(ctx, uri);
  const template = match.template.definition;
  if (!engine.allows(ctx, 'resource', uri, template.scopes)) throw engine.permissionDenied('resource', uri, engine.requiredScopes('resource', uri, template.scopes));
  return withInput(ctx, engine, uri, async (handlerContext) => {
    const value: ResourceReadReturn = await template.read(uri, match.variables, handlerContext);
    return { contents: normalizeResourceContents(uri, template.mimeType, value) };
  });
}

export function subscribeResource(ctx: RequestContext): Record<string, unknown> {
  const uri = ctx.params.uri;
  if (typeof uri !== 'string') throw invalidParams('Invalid params: resources/subscribe needs a uri');
  const session = ctx.session;
  if (session) (session.subscriptions ??= new Set()).add(uri);
  return {};
}

export function unsubscribeResource(ctx: RequestContext): Record<string, unknown> {
  const uri = ctx.params.uri;
  if (typeof uri !== 'string') throw invalidParams('Invalid params: resources/unsubscribe needs a uri');
  ctx.session?.subscriptions?.delete(uri);
  return {};
}

export function listPrompts(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  const prompts = engine.registry.listPrompts();
  if (!engine.scopesEnforced) return { prompts };
  return { prompts: prompts.filter((item) => engine.allows(ctx, 'prompt', item.name as string, engine.registry.prompts.get(item.name as string)?.definition.scopes)) };
}

export async function getPrompt(ctx: RequestContext, engine: Engine): Promise<unknown> {
  const name = ctx.params.name;
  if (typeof name !== 'string') throw invalidParams('Invalid params: prompts/get needs a prompt name');
  const prompt = engine.registry.prompts.get(name);
  if (!prompt) throw invalidParams(`Unknown prompt: ${name}`, { name });
  if (!engine.allows(ctx, 'prompt', name, prompt.definition.scopes)) throw engine.permissionDenied('prompt', name, engine.requiredScopes('prompt', name, prompt.definition.scopes));
  const validation = prompt.validate(ctx.params.arguments);
  if (!validation.ok) throw invalidParams(`Invalid arguments for prompt ${name}: ${validation.message}`);
  return withInput(ctx, engine, name, async (handlerContext) =>
    normalizePromptResult(await prompt.definition.get(validation.value!, handlerContext)),
  );
}

const MAX_COMPLETIONS = 100;

export async function complete(ctx: RequestContext, engine: Engine): Promise<unknown> {
  const ref = ctx.params.ref as Record<string, unknown> | undefined;
  const argument = ctx.params.argument as Record<string, unknown> | undefined;
  if (typeof ref !== 'object' || ref === null || typeof argument !== 'object' || argument === null || typeof argument.name !== 'string') {
    throw invalidParams('Invalid params: completion/complete needs ref and argument');
  }
  let completer;
  if (ref.type === 'ref/prompt' && typeof ref.name === 'string') {
    const prompt = engine.registry.prompts.get(ref.name);
    if (!prompt) throw invalidParams(`Unknown prompt: ${ref.name}`);
    completer = prompt.definition.complete?.[argument.name];
  } else if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
    const template = engine.registry.templates.get(ref.uri);
    if (!template) throw resourceNotFound(ctx, ref.uri);
    completer = template.definition.complete?.[argument.name];
  } else {
    throw invalidParams('Invalid params: unknown completion reference');
  }
  if (!completer) return { completion: { values: [], total: 0, hasMore: false } };
  const context = ctx.params.context as { arguments?: Record<string, string> } | undefined;
  const handlerContext = new HandlerContextImpl(ctx, undefined);
  const all = await completer(String(argument.value ?? ''), { arguments: context?.arguments ?? {} }, handlerContext);
  return { completion: { values: all.slice(0, MAX_COMPLETIONS), total: all.length, hasMore: all.length > MAX_COMPLETIONS } };
}
