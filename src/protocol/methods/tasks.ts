/**
 * tasks/get, tasks/update, tasks/cancel (tasks extension, 2026-07-28). Each is
 * refused with -32021 unless the request declares the extension, before the
 * task id is even looked at.
 */
import type { RequestContext } from '../context.js';
import type { Engine } from '../engine.js';
import { declaresTasks, tasksRequired, type Task } from '../tasks/task-store.js';
import { invalidParams } from './tools.js';

function taskOf(ctx: RequestContext, engine: Engine): Task {
  if (!declaresTasks(ctx.clientCapabilities)) throw tasksRequired();
  const task = engine.tasks.get(ctx.params.taskId, engine.ownerOf(ctx));
  if (!task) throw invalidParams(`Unknown task: ${String(ctx.params.taskId)}`);
  return task;
}

export function getTask(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  return taskOf(ctx, engine).describe(true, engine.tasks.limits.pollIntervalMs);
}

export function updateTask(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  const task = taskOf(ctx, engine);
  const responses = ctx.params.inputResponses;
  if (typeof responses === 'object' && responses !== null) task.update(responses as Record<string, unknown>);
  return {};
}

export function cancelTask(ctx: RequestContext, engine: Engine): Record<string, unknown> {
  taskOf(ctx, engine).cancel();
  return {};
}
