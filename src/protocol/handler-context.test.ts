/** HandlerContextImpl.onAbort: the request's listener list, or a task's own signal — a faulty listener never crashes the process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerLogger } from '../api/types.js';
import { RequestContext, type Exchange } from './context.js';
import { HandlerContextImpl } from './handler-context.js';

function requestWithLog(): { request: RequestContext; errors: string[] } {
  const exchange = { transport: 'stdio', session: undefined, identity: undefined, send() {} } as unknown as Exchange;
  const request = new RequestContext(exchange, 1, 'tools/call', {}, 'stateless', '2026-07-28');
  const errors: string[] = [];
  const logger: ServerLogger = { debug() {}, info() {}, warn() {}, error: (_fields, message) => void errors.push(String(message)) };
  request.loggerFactory = () => logger;
  return { request, errors };
}

for (const where of ['the request', "a task's own signal"] as const) {
  test(`onAbort through ${where}: listeners hear the reason once; a throwing one is logged, the others still run`, async () => {
    const { request, errors } = requestWithLog();
    const task = where === 'the request' ? undefined : new AbortController();
    const ctx = new HandlerContextImpl(request, undefined, () => {}, task?.signal);
    const heard: unknown[] = [];
    ctx.onAbort(() => {
      throw new Error('a faulty listener');
    });
    ctx.onAbort((reason) => heard.push(reason));
    const unsubscribe = ctx.onAbort(() => heard.push('unsubscribed'));
    unsubscribe();
    const reason = new Error('stop');
    let uncaught: unknown;
    const onUncaught = (error: unknown) => (uncaught = error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      if (task) task.abort(reason);
      else request.abort(reason);
      // An AbortSignal rethrows a listener's exception on a later tick: wait for it.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    assert.equal(uncaught, undefined);
    assert.deepEqual(heard, [reason]);
    assert.deepEqual(errors, ['an abort listener threw']);
    let late: unknown;
    ctx.onAbort((again) => (late = again));
    assert.equal(late, reason, 'a listener subscribed after the abort runs at once');
  });
}
