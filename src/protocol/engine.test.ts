import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { Identity, Transport } from '../api/types.js';
import { McpdError } from '../chassis/errors.js';
import type { Exchange, RequestContext } from './context.js';
import { Engine, type EngineOptions } from './engine.js';
import type { HeaderLookup } from './envelope.js';
import type { JsonRpcRequest, Params } from './jsonrpc.js';
import type { Session } from './session.js';
import { MetaKey, STATELESS_VERSION } from './versions.js';

const SECRET = 'db password is hunter2';

const STATELESS_META = {
  [MetaKey.protocolVersion]: STATELESS_VERSION,
  [MetaKey.clientCapabilities]: {},
  [MetaKey.clientInfo]: { name: 'test', version: '1.0.0' },
};

interface FakeExchange extends Exchange {
  sent: string[];
}

function fakeExchange(options: { session?: Session; identity?: Identity; header?: HeaderLookup; transport?: Transport } = {}): FakeExchange {
  const sent: string[] = [];
  return {
    transport: options.transport ?? 'http',
    session: options.session,
    identity: options.identity,
    header: options.header,
    send: (message) => void sent.push(message),
    sent,
  };
}

interface Harness {
  engine: Engine;
  internalErrors: { error: McpdError; ctx: RequestContext }[];
  toolRuns: { count: number };
}

function harness(t: { after(fn: () => void): void }, options: Partial<EngineOptions> = {}): Harness {
  const internalErrors: Harness['internalErrors'] = [];
  const engine = new Engine({
    name: 'engine-test',
    version: '0.0.1',
    onInternalError: (error, ctx) => internalErrors.push({ error, ctx }),
    ...options,
  });
  t.after(() => engine.close());
  const toolRuns = { count: 0 };
  engine.registry.addTool({
    name: 'echo',
    input: z.object({ text: z.string() }),
    handler: (args) => {
      toolRuns.count++;
      return `echo: ${args.text}`;
    },
  });
  engine.registry.addTool({
    name: 'explode',
    handler: () => {
      throw new Error(SECRET);
    },
  });
  engine.registry.addResource({ uri: 'mem://readme', name: 'readme', mimeType: 'text/plain', read: () => 'hello' });
  engine.registry.addResourceTemplate({ uriTemplate: 'mem://items/{id}', name: 'item', read: (_uri, vars) => `item ${vars.id}` });
  engine.registry.addPrompt({ name: 'greet', arguments: z.object({ who: z.string() }), get: (args) => `Hello ${args.who}` });
  return { engine, internalErrors, toolRuns };
}

let nextId = 1;
const request = (method: string, params?: Params, id: string | number = nextId++): JsonRpcRequest =>
  params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
const statelessRequest = (method: string, params: Params = {}, id?: string | number): JsonRpcRequest =>
  request(method, { ...params, _meta: { ...STATELESS_META, ...((params._meta as object | undefined) ?? {}) } }, id);

function initializedSession(engine: Engine, transport: Transport = 'stdio'): Session {
  const session = engine.sessions.create(transport);
  session.protocolVersion = '2025-11-25';
  session.initialized = true;
  return session;
}

const parse = (text: string) => JSON.parse(text) as { id: unknown; result?: any; error?: any };

test('middleware sees method, params, identity, transport and request id; after next() the result and duration', async (t) => {
  const { engine } = harness(t);
  const identity: Identity = { subject: 'alice', scopes: ['tools:call'], method: 'api-key' };
  const seen: Record<string, unknown>[] = [];
  engine.use(async (ctx, next) => {
    const before = {
      id: ctx.id,
      method: ctx.method,
      params: ctx.params,
      identity: ctx.identity,
      transport: ctx.transport,
      era: ctx.era,
      resultBefore: ctx.result,
      sessionId: ctx.session?.id,
    };
    await next();
    seen.push({ ...before, result: ctx.result, error: ctx.error, durationMs: ctx.elapsedMs(), protocolVersion: ctx.protocolVersion });
  });

  const session = initializedSession(engine, 'websocket');
  const exchange = fakeExchange({ session, identity, transport: 'websocket' });
  const params = { name: 'echo', arguments: { text: 'hi' } };
  const ctx = await engine.handle(exchange, request('tools/call', params, 'req-1'), 'sessionful');

  assert.equal(seen.length, 1);
  const record = seen[0]!;
  assert.equal(record.id, 'req-1');
  assert.equal(record.method, 'tools/call');
  assert.deepEqual(record.params, params);
  assert.equal(record.identity, identity);
  assert.equal(record.transport, 'websocket');
  assert.equal(record.era, 'sessionful');
  assert.equal(record.sessionId, session.id);
  assert.equal(record.resultBefore, undefined);
  assert.deepEqual(record.result, { content: [{ type: 'text', text: 'echo: hi' }] });
  assert.equal(record.error, undefined);
  assert.equal(typeof record.durationMs, 'number');
  assert.ok((record.durationMs as number) >= 0);
  assert.equal(record.protocolVersion, '2025-11-25');
  assert.equal(ctx.result, record.result);
  assert.deepEqual(parse(engine.respond(ctx)), { jsonrpc: '2.0', id: 'req-1', result: { content: [{ type: 'text', text: 'echo: hi' }] } } as never);

  // Stateless: after next() the envelope has been read.
  const stateless = await engine.handle(fakeExchange({ identity }), statelessRequest('tools/list', {}, 7), 'stateless');
  assert.equal(stateless.error, undefined);
  assert.equal(seen[1]!.id, 7);
  assert.equal(seen[1]!.era, 'stateless');
  assert.equal(seen[1]!.protocolVersion, STATELESS_VERSION);
  assert.equal(seen[1]!.transport, 'http');
});

test('middleware runs in registration order (onion) and may be added only before the first request', async (t) => {
  const { engine } = harness(t);
  const order: string[] = [];
  engine.use(async (_ctx, next) => {
    order.push('outer:before');
    await next();
    order.push('outer:after');
  });
  engine.use(async (_ctx, next) => {
    order.push('inner:before');
    await next();
    order.push('inner:after');
  });
  await engine.handle(fakeExchange(), statelessRequest('tools/list'), 'stateless');
  assert.deepEqual(order, ['outer:before', 'inner:before', 'inner:after', 'outer:after']);
  assert.throws(() => engine.use((_ctx, next) => next()), /before the server handles requests/);
});

test('middleware can short-circuit a request by throwing an McpdError', async (t) => {
  const { engine, toolRuns, internalErrors } = harness(t);
  engine.use((ctx, next) => {
    if (ctx.identity === undefined) throw new McpdError('PERMISSION_DENIED', 'Sign in first', { data: { realm: 'mcpd' } });
    return next();
  });
  const ctx = await engine.handle(fakeExchange(), statelessRequest('tools/call', { name: 'echo', arguments: { text: 'x' } }, 3), 'stateless');
  assert.equal(toolRuns.count, 0);
  assert.ok(ctx.error instanceof McpdError);
  assert.equal(ctx.error.code, 'PERMISSION_DENIED');
  assert.deepEqual(parse(engine.respond(ctx)), {
    jsonrpc: '2.0',
    id: 3,
    error: { code: -32003, message: 'Sign in first', data: { errorCode: 'PERMISSION_DENIED', realm: 'mcpd' } },
  } as never);
  assert.equal(internalErrors.length, 0);

  const allowed = await engine.handle(
    fakeExchange({ identity: { subject: 'bob', scopes: [], method: 'jwt' } }),
    statelessRequest('tools/call', { name: 'echo', arguments: { text: 'x' } }),
    'stateless',
  );
  assert.equal(allowed.error, undefined);
  assert.equal(toolRuns.count, 1);
});

test('middleware can short-circuit by not calling next() and answering itself', async (t) => {
  const { engine, toolRuns } = harness(t);
  engine.use((ctx, next) => {
    if (ctx.method === 'tools/call') {
      ctx.result = { content: [{ type: 'text', text: 'from cache' }] };
      return;
    }
    return next();
  });
  const session = initializedSession(engine);
  const ctx = await engine.handle(fakeExchange({ session }), request('tools/call', { name: 'echo', arguments: { text: 'x' } }), 'sessionful');
  assert.equal(toolRuns.count, 0);
  assert.deepEqual(parse(engine.respond(ctx)).result, { content: [{ type: 'text', text: 'from cache' }] });
});

test('every method passes through the pipeline, refused requests included', async (t) => {
  const { engine } = harness(t);
  const seen: { method: string; error: string | undefined }[] = [];
  engine.use(async (ctx, next) => {
    await next();
    seen.push({ method: ctx.method, error: ctx.error?.code });
  });

  const session = engine.sessions.create('stdio');
  const sessionful = fakeExchange({ session });
  const sessionfulCalls: [string, Params | undefined][] = [
    ['initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }],
    ['ping', undefined],
    ['logging/setLevel', { level: 'info' }],
    ['tools/list', {}],
    ['tools/call', { name: 'echo', arguments: { text: 'a' } }],
    ['resources/list', {}],
    ['resources/templates/list', {}],
    ['resources/read', { uri: 'mem://readme' }],
    ['resources/subscribe', { uri: 'mem://readme' }],
    ['resources/unsubscribe', { uri: 'mem://readme' }],
    ['prompts/list', {}],
    ['prompts/get', { name: 'greet', arguments: { who: 'world' } }],
    ['completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'who', value: 'w' } }],
  ];
  for (const [method, params] of sessionfulCalls) {
    const ctx = await engine.handle(sessionful, request(method, params), 'sessionful');
    assert.equal(ctx.error, undefined, `${method}: ${ctx.error?.message}`);
  }
  const statelessCalls: [string, Params][] = [
    ['server/discover', {}],
    ['tools/list', {}],
    ['tools/call', { name: 'echo', arguments: { text: 'b' } }],
    ['resources/read', { uri: 'mem://items/9' }],
    ['prompts/get', { name: 'greet', arguments: { who: 'you' } }],
  ];
  for (const [method, params] of statelessCalls) {
    const ctx = await engine.handle(fakeExchange(), statelessRequest(method, params), 'stateless');
    assert.equal(ctx.error, undefined, `${method}: ${ctx.error?.message}`);
  }
  // Refused requests: unknown method, method of the other era, malformed envelope.
  await engine.handle(sessionful, request('no/such/method', {}), 'sessionful');
  await engine.handle(fakeExchange(), statelessRequest('initialize', {}), 'stateless');
  await engine.handle(fakeExchange(), request('tools/list', {}), 'stateless');

  assert.deepEqual(seen, [
    ...sessionfulCalls.map(([method]) => ({ method, error: undefined })),
    ...statelessCalls.map(([method]) => ({ method, error: undefined })),
    { method: 'no/such/method', error: 'METHOD_NOT_FOUND' },
    { method: 'initialize', error: 'METHOD_NOT_FOUND' },
    { method: 'tools/list', error: 'VALIDATION_ERROR' },
  ]);
});

test('refusals carry their JSON-RPC codes and HTTP statuses', async (t) => {
  const { engine } = harness(t);
  const notFound = await engine.handle(fakeExchange(), statelessRequest('initialize', {}, 'a'), 'stateless');
  assert.equal(notFound.error?.jsonRpcCode, -32601);
  assert.equal(notFound.error?.httpStatus, 404);
  const noMeta = await engine.handle(fakeExchange(), request('tools/list', {}, 'b'), 'stateless');
  assert.equal(noMeta.error?.jsonRpcCode, -32602);
  assert.equal(noMeta.error?.httpStatus, 400);
  const header: HeaderLookup = (name) => ({ 'mcp-protocol-version': STATELESS_VERSION, 'mcp-method': 'tools/call' })[name];
  const mismatch = await engine.handle(fakeExchange({ header }), statelessRequest('tools/list', {}, 'c'), 'stateless');
  assert.equal(mismatch.error?.jsonRpcCode, -32020);
  assert.equal(parse(engine.respond(mismatch)).error.code, -32020);
  const sessionfulNotFound = await engine.handle(fakeExchange({ session: initializedSession(engine) }), request('server/discover', {}), 'sessionful');
  assert.equal(sessionfulNotFound.error?.jsonRpcCode, -32601);
  assert.equal(sessionfulNotFound.error?.httpStatus, undefined);
});

test('stateless results get resultType "complete"; list results get ttlMs/cacheScope', async (t) => {
  const { engine } = harness(t);
  const call = async (method: string, params: Params = {}) => {
    const ctx = await engine.handle(fakeExchange(), statelessRequest(method, params), 'stateless');
    assert.equal(ctx.error, undefined, `${method}: ${ctx.error?.message}`);
    return parse(engine.respond(ctx)).result;
  };
  for (const method of ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']) {
    const result = await call(method);
    assert.equal(result.resultType, 'complete', method);
    assert.equal(result.ttlMs, 60_000, method);
    assert.equal(result.cacheScope, 'private', method);
  }
  const tools = await call('tools/list');
  assert.deepEqual(
    tools.tools.map((tool: { name: string }) => tool.name),
    ['echo', 'explode'],
  );
  const called = await call('tools/call', { name: 'echo', arguments: { text: 'z' } });
  assert.equal(called.resultType, 'complete');
  assert.deepEqual(called.content, [{ type: 'text', text: 'echo: z' }]);
  assert.equal('ttlMs' in called, false);
  assert.equal('cacheScope' in called, false);
  const read = await call('resources/read', { uri: 'mem://readme' });
  assert.equal(read.resultType, 'complete');
  assert.equal(read.ttlMs, 0);
  assert.equal(read.cacheScope, 'private');
  const discover = await call('server/discover');
  assert.equal(discover.resultType, 'complete');
  assert.equal(discover.cacheScope, 'public');

  // The registry's cached list is not mutated by decoration.
  assert.equal('resultType' in (engine.registry.listTools() as unknown as Record<string, unknown>), false);

  // Sessionful results carry no resultType.
  const session = initializedSession(engine);
  const sessionful = await engine.handle(fakeExchange({ session }), request('tools/list', {}), 'sessionful');
  assert.equal('resultType' in (sessionful.result as Record<string, unknown>), false);
  assert.equal('ttlMs' in (sessionful.result as Record<string, unknown>), false);
});

test('the list cache hint is configurable', async (t) => {
  const { engine } = harness(t, { listCache: { ttlMs: 5_000, cacheScope: 'public' } });
  const ctx = await engine.handle(fakeExchange(), statelessRequest('prompts/list'), 'stateless');
  const result = parse(engine.respond(ctx)).result;
  assert.equal(result.ttlMs, 5_000);
  assert.equal(result.cacheScope, 'public');
});

test('a tool throwing a plain Error yields isError "INTERNAL: Internal error" and never leaks its message', async (t) => {
  const { engine, internalErrors } = harness(t);
  const session = initializedSession(engine);
  const exchanges = [
    { exchange: fakeExchange({ session }), req: request('tools/call', { name: 'explode', arguments: {} }), era: 'sessionful' as const },
    { exchange: fakeExchange(), req: statelessRequest('tools/call', { name: 'explode', arguments: {} }), era: 'stateless' as const },
  ];
  for (const { exchange, req, era } of exchanges) {
    const ctx = await engine.handle(exchange, req, era);
    assert.equal(ctx.error, undefined, 'a tool failure is a tool result, not a JSON-RPC error');
    const response = engine.respond(ctx);
    const result = parse(response).result;
    assert.equal(result.isError, true);
    assert.deepEqual(result.content, [{ type: 'text', text: 'INTERNAL: Internal error' }]);
    assert.deepEqual(result._meta, { 'dev.mcpd/error': { code: 'INTERNAL' } });
    assert.ok(!response.includes('hunter2'), `${era}: the original message leaked into the response`);
    assert.ok(!exchange.sent.some((message) => message.includes('hunter2')), `${era}: leaked into a sent message`);
  }
  // …but the cause is reported for the operator, once per failure.
  assert.equal(internalErrors.length, 2);
  for (const { error, ctx } of internalErrors) {
    assert.equal(error.code, 'INTERNAL');
    assert.ok(error.cause instanceof Error);
    assert.equal((error.cause as Error).message, SECRET);
    assert.equal(ctx.method, 'tools/call');
  }
});

test('a resource or prompt handler failing unexpectedly yields a JSON-RPC INTERNAL error, reported exactly once', async (t) => {
  const { engine, internalErrors } = harness(t);
  engine.registry.addResource({
    uri: 'mem://broken',
    name: 'broken',
    read: () => {
      throw new Error(SECRET);
    },
  });
  engine.registry.addPrompt({
    name: 'broken',
    get: () => {
      throw new Error(SECRET);
    },
  });
  const cases: [string, Params][] = [
    ['resources/read', { uri: 'mem://broken' }],
    ['prompts/get', { name: 'broken' }],
  ];
  for (const [method, params] of cases) {
    internalErrors.length = 0;
    const ctx = await engine.handle(fakeExchange(), statelessRequest(method, params, 'r'), 'stateless');
    const response = engine.respond(ctx);
    assert.deepEqual(parse(response).error, { code: -32603, message: 'Internal error', data: { errorCode: 'INTERNAL' } });
    assert.ok(!response.includes('hunter2'));
    assert.equal(internalErrors.length, 1, `${method}: one failure must be reported once, not ${internalErrors.length} times`);
  }
});

test('a middleware throwing a plain Error yields INTERNAL without its message, and the failure is reported', async (t) => {
  const { engine, internalErrors } = harness(t);
  engine.use(() => {
    throw new Error(SECRET);
  });
  const ctx = await engine.handle(fakeExchange(), statelessRequest('tools/list', {}, 'm'), 'stateless');
  const response = engine.respond(ctx);
  assert.deepEqual(parse(response).error, { code: -32603, message: 'Internal error', data: { errorCode: 'INTERNAL' } });
  assert.ok(!response.includes('hunter2'));
  // "the client sees a generic text and the request id, the log sees the cause" (errors.ts)
  assert.equal(internalErrors.length, 1, 'an unexpected middleware failure must reach onInternalError');
  assert.equal((internalErrors[0]!.error.cause as Error).message, SECRET);
});

test('handle never throws, whatever the request', async (t) => {
  const { engine } = harness(t);
  const weird: JsonRpcRequest[] = [
    request('tools/call', {}),
    request('tools/call', { name: 42 }),
    request('tools/call', { name: 'nope' }),
    request('prompts/get', { name: 'greet', arguments: { who: 5 } }),
    request('completion/complete', { ref: 'x' }),
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  ];
  for (const req of weird) {
    for (const era of ['sessionful', 'stateless'] as const) {
      const ctx = await engine.handle(fakeExchange({ session: era === 'sessionful' ? initializedSession(engine) : undefined }), req, era);
      assert.doesNotThrow(() => JSON.parse(engine.respond(ctx)));
    }
  }
});

test('notifications/cancelled aborts the in-flight request; it answers CANCELLED', async (t) => {
  const { engine } = harness(t);
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let sawAbort = false;
  engine.registry.addTool({
    name: 'wait',
    handler: (_args, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(ctx.signal.reason);
        });
        started();
      }),
  });
  const session = initializedSession(engine);
  const exchange = fakeExchange({ session });
  const pending = engine.handle(exchange, request('tools/call', { name: 'wait', arguments: {} }, 'long'), 'sessionful');
  await running;
  assert.equal(session.inFlightCount, 1);
  assert.equal(session.busy, 1);
  engine.handleNotification(exchange, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'long', reason: 'user stop' } });
  const ctx = await pending;
  assert.equal(sawAbort, true);
  assert.equal(ctx.error?.code, 'CANCELLED');
  assert.equal(parse(engine.respond(ctx)).error.code, -32800);
  assert.equal(session.inFlightCount, 0);
  assert.equal(session.busy, 0);
});

test('onAbort hears notifications/cancelled without an AbortSignal; unsubscribed, late and faulty listeners behave', async (t) => {
  const { engine } = harness(t);
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const heard: unknown[] = [];
  let lateReason: unknown;
  engine.registry.addTool({
    name: 'wait',
    handler: (_args, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.onAbort(() => {
          throw new Error('a faulty listener');
        });
        const unsubscribed = ctx.onAbort(() => heard.push('unsubscribed'));
        unsubscribed();
        ctx.onAbort((reason) => {
          heard.push(reason);
          // Subscribing after the abort runs the listener at once.
          ctx.onAbort((again) => (lateReason = again));
          reject(reason);
        });
        started();
      }),
  });
  const session = initializedSession(engine);
  const exchange = fakeExchange({ session });
  const pending = engine.handle(exchange, request('tools/call', { name: 'wait', arguments: {} }, 'long'), 'sessionful');
  await running;
  engine.handleNotification(exchange, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'long', reason: 'user stop' } });
  const ctx = await pending;
  assert.equal(heard.length, 1, 'one call of the live listener, none of the unsubscribed one');
  assert.ok(heard[0] !== undefined);
  assert.equal(lateReason, heard[0]);
  assert.equal(ctx.error?.code, 'CANCELLED');
  assert.equal(session.inFlightCount, 0);
});

test('retained memory: 10,000 sequential tools/call on one session leave no per-request state', async (t) => {
  const { engine, toolRuns } = harness(t);
  const session = initializedSession(engine);
  const exchange = fakeExchange({ session });
  const during: { busy: number; inFlight: number }[] = [];
  engine.registry.addTool({
    name: 'probe',
    handler: () => {
      during.push({ busy: session.busy, inFlight: session.inFlightCount });
      return 'ok';
    },
  });
  await engine.handle(exchange, request('tools/call', { name: 'probe', arguments: {} }), 'sessionful');
  assert.deepEqual(during, [{ busy: 1, inFlight: 1 }], 'the request is tracked while it runs');

  const N = 10_000;
  for (let i = 0; i < N; i++) {
    const ctx = await engine.handle(exchange, request('tools/call', { name: 'echo', arguments: { text: String(i) } }, i), 'sessionful');
    if (ctx.error) assert.fail(`call ${i} failed: ${ctx.error.message}`);
  }
  assert.equal(toolRuns.count, N);
  assert.equal(session.inFlightCount, 0);
  assert.equal(session.busy, 0);
  assert.equal(session.closed, false);
  assert.equal(session.subscriptions, undefined);
  assert.equal(exchange.sent.length, 0, 'nothing is sent besides responses');
  assert.equal(engine.sessions.size, 1);
  assert.equal(engine.listen.size, 0);
});

test("resources/list adds what templates list; a failing listing leaves the rest listed; scopes filter listed resources", async (t) => {
  const { engine } = harness(t, { authorization: { enforce: true } });
  engine.registry.addResourceTemplate({
    uriTemplate: 'mem://notes/{id}',
    name: 'note',
    list: async () => [{ uri: 'mem://notes/1', name: 'note 1' }, { uri: 'mem://notes/2', name: 'note 2' }],
    read: (_uri, vars) => `note ${vars.id}`,
  });
  engine.registry.addResourceTemplate({
    uriTemplate: 'mem://broken/{id}',
    name: 'broken',
    list: () => {
      throw new Error('listing backend down');
    },
    read: () => 'never',
  });
  engine.registry.addResourceTemplate({
    uriTemplate: 'mem://secret/{id}',
    name: 'secret',
    scopes: ['admin'],
    list: () => [{ uri: 'mem://secret/1', name: 'secret 1' }],
    read: () => 'classified',
  });
  const identity: Identity = { subject: 'bob', scopes: ['resources'], method: 'api-key' };
  const ctx = await engine.handle(fakeExchange({ identity }), statelessRequest('resources/list'), 'stateless');
  assert.equal(ctx.error, undefined);
  const uris = ((ctx.result as { resources: { uri: string }[] }).resources).map((resource) => resource.uri);
  assert.deepEqual(uris, ['mem://readme', 'mem://notes/1', 'mem://notes/2']);
});
