/**
 * tools/list and tools/call, including task-augmented calls (tasks extension)
 * and the per-argument `Mcp-Param-*` header checks of 2026-07-28 HTTP.
 */
import type { CallToolResult } from '../../api/types.js';
import { JsonRpcErrorCode, McpdError, normalizeError, toJsonRpcError, toToolErrorResult } from '../../chassis/errors.js';
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { checkParamHeaders } from '../envelope.js';
import { HandlerContextImpl } from '../handler-context.js';
import type { CompiledTool } from '../registry.js';
import { normalizeToolResult } from '../results.js';
import { declaresTasks, tasksRequired, type Task } from '../tasks/task-store.js';
import { inputChannelFor, inputRequired, InputRequiredSignal } from './mrtr.js';

export function listTools(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  const tools = engine.registry.listTools();
  if (!engine.scopesEnforced) return { tools };
  // Tools the caller may not use are not shown at all.
  return { tools: tools.filter((tool) => engine.allows(ctx, 'tool', tool.name as string, engine.registry.tools.get(tool.name as string)?.definition.scopes)) };
}

export function invalidParams(message: string, data?: Record<string, unknown>): McpdError {
  return new McpdError('VALIDATION_ERROR', message, { jsonRpcCode: JsonRpcErrorCode.INVALID_PARAMS, protocol: true, data });
}

export async function callTool(ctx: RequestContext, engine: Engine): Promise<unknown> {
  const name = ctx.params.name;
  if (typeof name !== 'string') throw invalidParams('Invalid params: tools/call needs a tool name');
  const tool = engine.registry.tools.get(name);
  if (!tool) throw invalidParams(`Unknown tool: ${name}`, { name });
  if (!engine.allows(ctx, 'tool', name, tool.definition.scopes)) {
    throw engine.permissionDenied('tool', name, engine.requiredScopes('tool', name, tool.definition.scopes));
  }
  const header = ctx.exchange.header;
  if (ctx.era === 'stateless' && header && tool.paramHeaders.length > 0) {
    checkParamHeaders(tool.paramHeaders, ctx.params.arguments, header);
  }
  const definition = tool.definition;
  // Tasks extension, in either era: the client declares it per request (2026) or at initialize (2025).
  const declared = declaresTasks(ctx.clientCapabilities);
  if (definition.taskSupport === 'required' && !declared) throw tasksRequired();
  const asTask = declared && (definition.taskSupport === 'optional' || definition.taskSupport === 'required');
  const validation = tool.validate(ctx.params.arguments);
  if (!validation.ok) {
    return toToolErrorResult(new McpdError('VALIDATION_ERROR', `Invalid arguments for tool ${name}: ${validation.message}`));
  }
  const args = validation.value!;
  const handlerContext = new HandlerContextImpl(ctx, () => inputChannelFor(ctx, engine, name));
  try {
    if (definition.prepare) handlerContext.prepared = await definition.prepare(args, handlerContext);
    if (asTask) return startTask(ctx, engine, tool, args, handlerContext.prepared);
    return normalizeToolResult(await definition.handler(args, handlerContext), tool.hasOutputSchema);
  } catch (error) {
    if (error instanceof InputRequiredSignal) return inputRequired(ctx, engine, error, name);
    return toolFailure(ctx, engine, error);
  }
}

function toolFailure(ctx: RequestContext, engine: Engine, error: unknown): CallToolResult {
  const failure = normalizeError(error);
  if (failure.protocol || (failure.code === 'CANCELLED' && ctx.aborted)) throw failure;
  if (failure.code === 'INTERNAL') engine.reportInternalError(failure, ctx);
  return toToolErrorResult(failure);
}

function startTask(ctx: RequestContext, engine: Engine, tool: CompiledTool, args: Record<string, unknown>, prepared: unknown) {
  const task = engine.tasks.create(ctx.clientCapabilities, engine.ownerOf(ctx));
  const taskContext = new HandlerContextImpl(ctx, task, () => {}, task.controller.signal);
  taskContext.prepared = prepared;
  void runTask(ctx, engine, tool, args, task, taskContext);
  return { resultType: 'task', ...task.describe(false, engine.tasks.limits.pollIntervalMs) };
}

async function runTask(
  ctx: RequestContext,
  engine: Engine,
  tool: CompiledTool,
  args: Record<string, unknown>,
  task: Task,
  taskContext: HandlerContextImpl,
): Promise<void> {
  try {
    const value = await tool.definition.handler(args, taskContext);
    task.complete(normalizeToolResult(value, tool.hasOutputSchema));
  } catch (error) {
    if (task.terminal) return;
    const failure = normalizeError(error);
    if (failure.protocol) {
      task.fail(toJsonRpcError(failure));
      return;
    }
    if (failure.code === 'INTERNAL') engine.reportInternalError(failure, ctx);
    task.complete(toToolErrorResult(failure));
  }
}
