/**
 * The tasks extension in both eras: a 2026 client opts in per request, a 2025
 * client at initialize. A task asks for input through tasks/get + tasks/update.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, statelessPost, type RunningServer } from '../helpers/server.js';
import { initializeSession, sessionPost } from '../helpers/http.js';

const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} }, elicitation: {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tasks extension', () => {
  let running: RunningServer;
  before(async () => {
    running = await startFixture();
  });
  after(async () => {
    await running?.close();
  });

  describe('2025-11-25 session that declared the extension', () => {
    let sessionId: string;
    let nextId = 10;
    const call = async (method: string, params: Record<string, unknown>) => (await sessionPost(running.url, sessionId, { id: nextId++, method, params })).json;
    const waitForStatus = async (taskId: string, wanted: string) => {
      for (let i = 0; i < 50; i++) {
        const task = (await call('tasks/get', { taskId })).result;
        if (task.status === wanted) return task;
        await sleep(50);
      }
      throw new Error(`task never reached ${wanted}`);
    };

    before(async () => {
      ({ sessionId } = await initializeSession(running.url, TASKS));
    });

    test('initialize advertises the extension', async () => {
      const { result } = await initializeSession(running.url, TASKS);
      assert.deepEqual(result.capabilities.extensions, { 'io.modelcontextprotocol/tasks': {} });
    });

    test('a tool with optional task support becomes a task and completes', async () => {
      const created = (await call('tools/call', { name: 'slow_compute', arguments: { seconds: 0.1, label: 'x' } })).result;
      assert.equal(created.resultType, 'task');
      assert.equal(typeof created.taskId, 'string');
      const done = await waitForStatus(created.taskId, 'completed');
      assert.match(done.result.content[0].text, /Computed x/);
    });

    test('input while a task runs: input_required, then tasks/update', async () => {
      const created = (await call('tools/call', { name: 'confirm_delete', arguments: { filename: 'a.txt' } })).result;
      const waiting = await waitForStatus(created.taskId, 'input_required');
      const [key] = Object.keys(waiting.inputRequests);
      assert.equal(waiting.inputRequests[key!].method, 'elicitation/create');
      const ack = (await call('tasks/update', { taskId: created.taskId, inputResponses: { [key!]: { action: 'accept', content: { confirm: true } } } })).result;
      assert.deepEqual(ack, {});
      const done = await waitForStatus(created.taskId, 'completed');
      assert.equal(done.result.content[0].text, 'Deleted a.txt');
    });

    test('cancel stops a running task', async () => {
      const created = (await call('tools/call', { name: 'slow_compute', arguments: { seconds: 30 } })).result;
      await call('tasks/cancel', { taskId: created.taskId });
      const task = (await call('tasks/get', { taskId: created.taskId })).result;
      assert.equal(task.status, 'cancelled');
    });
  });

  describe('2025-11-25 session that ends', () => {
    test('its tasks are cancelled and forgotten with it', async () => {
      const { sessionId } = await initializeSession(running.url, TASKS);
      const created = (await sessionPost(running.url, sessionId, { id: 1, method: 'tools/call', params: { name: 'slow_compute', arguments: { seconds: 30 } } })).json.result;
      const task = running.server.engine.tasks.get(created.taskId, `session:${sessionId}`);
      assert.equal(task?.status, 'working');
      const deleted = await fetch(running.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
      assert.equal(deleted.status, 200);
      assert.equal(task?.status, 'cancelled');
      assert.equal(task?.controller.signal.aborted, true);
      assert.equal(running.server.engine.tasks.get(created.taskId, `session:${sessionId}`), undefined);
    });
  });

  describe('2025-11-25 session without the extension', () => {
    test('a required-task tool is refused in-band, not by HTTP status', async () => {
      const { sessionId } = await initializeSession(running.url, {});
      const response = await sessionPost(running.url, sessionId, { id: 1, method: 'tools/call', params: { name: 'failing_job', arguments: {} } });
      assert.equal(response.status, 200);
      assert.equal(response.json.error.code, -32021);
      assert.deepEqual(response.json.error.data.requiredCapabilities, { extensions: { 'io.modelcontextprotocol/tasks': {} } });
    });
  });

  describe('2026-07-28', () => {
    test('a task is created only for a request that opts in', async () => {
      const plain = await statelessPost(running.url, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0 } });
      assert.equal(plain.json.result.resultType, 'complete');
      const opted = await statelessPost(running.url, 'tools/call', {
        name: 'slow_compute',
        arguments: { seconds: 0.05 },
        _meta: { 'io.modelcontextprotocol/clientCapabilities': TASKS },
      });
      assert.equal(opted.json.result.resultType, 'task');
      assert.ok(!('result' in opted.json.result));
    });

    test('tasks/get without the extension is refused with -32021 and HTTP 400', async () => {
      const response = await statelessPost(running.url, 'tasks/get', { taskId: 'nope' }, { 'mcp-name': 'nope' });
      assert.equal(response.status, 400);
      assert.equal(response.json.error.code, -32021);
    });
  });
});
