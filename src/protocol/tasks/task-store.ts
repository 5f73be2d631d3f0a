/**
 * Tasks extension (`io.modelcontextprotocol/tasks`): long-running tool calls the
 * client polls with `tasks/get`, answers with `tasks/update`, stops with
 * `tasks/cancel`. Tasks live in memory, bounded in number, and expire `ttlMs`
 * after their last update.
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '../../api/types.js';
import { McpdError } from '../../chassis/errors.js';
import type { InputChannel, InputMethod, InputRequest } from '../input.js';
import { hasCapability, missingCapability } from '../input.js';
import type { Params } from '../jsonrpc.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export interface TaskLimits {
  /** How long a task is kept after its last update. */
  ttlMs: number;
  /** Suggested polling interval for clients. */
  pollIntervalMs: number;
  /** Tasks kept at once; the oldest finished ones are evicted first, live ones refuse new tasks. */
  maxTasks: number;
}

export const DEFAULT_TASK_LIMITS: TaskLimits = { ttlMs: 60 * 60_000, pollIntervalMs: 500, maxTasks: 10_000 };

interface Waiter {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

export class Task implements InputChannel {
  readonly taskId = randomUUID();
  readonly createdAt = new Date().toISOString();
  lastUpdatedAt = this.createdAt;
  status: TaskStatus = 'working';
  statusMessage: string | undefined;
  result: CallToolResult | undefined;
  error: { code: number; message: string; data?: Record<string, unknown> } | undefined;
  readonly inputRequests = new Map<string, InputRequest>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly counters: Partial<Record<InputMethod, number>> = {};
  readonly controller = new AbortController();
  expiresAt: number;

  constructor(
    readonly ttlMs: number,
    private readonly clientCapabilities: Record<string, unknown>,
    readonly owner: string | undefined,
  ) {
    this.expiresAt = Date.now() + ttlMs;
  }

  get terminal(): boolean {
    return this.status === 'completed' || this.status === 'failed' || this.status === 'cancelled';
  }

  private touch(): void {
    this.lastUpdatedAt = new Date().toISOString();
    this.expiresAt = Date.now() + this.ttlMs;
  }

  /** InputChannel: the task waits in `input_required` until tasks/update answers. */
  request(method: InputMethod, params: Params, key?: string): Promise<Record<string, unknown>> {
    if (!hasCapability(this.clientCapabilities, method)) return Promise.reject(missingCapability(method, true));
    if (this.terminal) return Promise.reject(new McpdError('CANCELLED', 'Task is no longer running'));
    const n = (this.counters[method] = (this.counters[method] ?? 0) + 1);
    const inputKey = key ?? `${method.split('/')[0]}-${n}`;
    return new Promise((resolve, reject) => {
      this.inputRequests.set(inputKey, { method, params });
      this.waiters.set(inputKey, { resolve, reject });
      this.status = 'input_required';
      this.touch();
    });
  }

  /** Applies answers; unknown keys are ignored. Answered keys leave `inputRequests` at once. */
  update(responses: Record<string, unknown>): void {
    let applied = 0;
    for (const [key, value] of Object.entries(responses)) {
      const waiter = this.waiters.get(key);
      if (!waiter || typeof value !== 'object' || value === null) continue;
      this.waiters.delete(key);
      this.inputRequests.delete(key);
      waiter.resolve(value as Record<string, unknown>);
      applied++;
    }
    // Only a real answer counts as activity: empty updates must not keep a task alive forever.
    if (applied === 0) return;
    if (this.status === 'input_required' && this.inputRequests.size === 0) this.status = 'working';
    this.touch();
  }

  complete(result: CallToolResult): void {
    if (this.terminal) return;
    this.status = 'completed';
    this.result = result;
    this.touch();
  }

  fail(error: { code: number; message: string; data?: Record<string, unknown> }): void {
    if (this.terminal) return;
    this.status = 'failed';
    this.error = error;
    this.touch();
  }

  cancel(): void {
    if (this.terminal) return;
    this.status = 'cancelled';
    this.touch();
    this.controller.abort(new McpdError('CANCELLED', 'Task was cancelled'));
    for (const waiter of this.waiters.values()) waiter.reject(new McpdError('CANCELLED', 'Task was cancelled'));
    this.waiters.clear();
    this.inputRequests.clear();
  }

  /** The task as the wire shows it (`tasks/get`, CreateTaskResult). */
  describe(detailed: boolean, pollIntervalMs: number): Record<string, unknown> {
    const view: Record<string, unknown> = {
      taskId: this.taskId,
      status: this.status,
      createdAt: this.createdAt,
      lastUpdatedAt: this.lastUpdatedAt,
      ttlMs: this.ttlMs,
      pollIntervalMs,
    };
    if (this.statusMessage !== undefined) view.statusMessage = this.statusMessage;
    if (!detailed) return view;
    if (this.status === 'input_required') view.inputRequests = Object.fromEntries(this.inputRequests);
    if (this.status === 'completed' && this.result) view.result = this.result;
    if (this.status === 'failed' && this.error) view.error = this.error;
    return view;
  }
}

export class TaskStore {
  private readonly tasks = new Map<string, Task>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly limits: TaskLimits = DEFAULT_TASK_LIMITS) {}

  get size(): number {
    return this.tasks.size;
  }

  create(clientCapabilities: Record<string, unknown>, owner: string | undefined): Task {
    this.sweep();
    if (this.tasks.size >= this.limits.maxTasks) {
      for (const [id, task] of this.tasks) {
        if (task.terminal) {
          this.tasks.delete(id);
          break;
        }
      }
      if (this.tasks.size >= this.limits.maxTasks) {
        throw new McpdError('UNAVAILABLE', 'Too many tasks in progress; try again later', { retryAfterMs: 1000 });
      }
    }
    const task = new Task(this.limits.ttlMs, clientCapabilities, owner);
    this.tasks.set(task.taskId, task);
    this.startSweeper();
    return task;
  }

  /** The task, if it exists and belongs to this caller. */
  get(taskId: unknown, owner: string | undefined): Task | undefined {
    if (typeof taskId !== 'string') return undefined;
    const task = this.tasks.get(taskId);
    if (!task || task.owner !== owner) return undefined;
    if (task.expiresAt <= Date.now()) {
      this.tasks.delete(taskId);
      task.cancel();
      return undefined;
    }
    return task;
  }

  sweep(now = Date.now()): void {
    for (const [id, task] of this.tasks) {
      if (task.expiresAt <= now) {
        this.tasks.delete(id);
        task.cancel();
      }
    }
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      this.sweep();
      if (this.tasks.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, Math.min(60_000, this.limits.ttlMs));
    this.sweeper.unref();
  }

  /** Cancels and forgets the tasks of an owner that is gone (a closed session). */
  cancelOwnedBy(owner: string): void {
    for (const [id, task] of this.tasks) {
      if (task.owner !== owner) continue;
      this.tasks.delete(id);
      task.cancel();
    }
  }

  cancelAll(): void {
    for (const task of this.tasks.values()) task.cancel();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

export function declaresTasks(clientCapabilities: Record<string, unknown>): boolean {
  const extensions = clientCapabilities.extensions;
  return typeof extensions === 'object' && extensions !== null && TASKS_EXTENSION in extensions;
}

export function tasksRequired(): McpdError {
  return new McpdError('VALIDATION_ERROR', `This request requires the ${TASKS_EXTENSION} extension`, {
    jsonRpcCode: -32021,
    data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    protocol: true,
    httpStatus: 400,
  });
}
