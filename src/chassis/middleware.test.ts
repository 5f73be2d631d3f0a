import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compose, type Middleware } from './middleware.js';

interface Ctx {
  log: string[];
  result?: unknown;
  error?: unknown;
}

const newCtx = (): Ctx => ({ log: [] });

test('compose runs middleware as an onion around the terminal', async () => {
  const mw = (name: string): Middleware<Ctx> => async (ctx, next) => {
    ctx.log.push(`${name}:before`);
    await next();
    ctx.log.push(`${name}:after`);
  };
  const run = compose([mw('a'), mw('b'), mw('c')], (ctx) => {
    ctx.log.push('terminal');
  });
  const ctx = newCtx();
  await run(ctx);
  assert.deepEqual(ctx.log, ['a:before', 'b:before', 'c:before', 'terminal', 'c:after', 'b:after', 'a:after']);
});

test('compose copies the middleware array: later pushes do not change the chain', async () => {
  const chain: Middleware<Ctx>[] = [(ctx, next) => (ctx.log.push('a'), next())];
  const run = compose(chain, (ctx) => void ctx.log.push('t'));
  chain.push((ctx, next) => (ctx.log.push('late'), next()));
  const ctx = newCtx();
  await run(ctx);
  assert.deepEqual(ctx.log, ['a', 't']);
});

test('a middleware that throws short-circuits: inner middleware and terminal never run', async () => {
  let innerRan = false;
  let terminalRan = false;
  const run = compose<Ctx>(
    [
      () => {
        throw new Error('denied');
      },
      (_ctx, next) => {
        innerRan = true;
        return next();
      },
    ],
    () => {
      terminalRan = true;
    },
  );
  // A synchronous throw surfaces as a rejected promise, not a synchronous exception.
  const outcome = run(newCtx());
  assert.ok(outcome instanceof Promise);
  await assert.rejects(outcome, /denied/);
  assert.equal(innerRan, false);
  assert.equal(terminalRan, false);
});

test('an async middleware that rejects short-circuits the same way', async () => {
  let terminalRan = false;
  const run = compose<Ctx>(
    [
      async () => {
        await Promise.resolve();
        throw new Error('async denied');
      },
    ],
    () => {
      terminalRan = true;
    },
  );
  await assert.rejects(async () => run(newCtx()), /async denied/);
  assert.equal(terminalRan, false);
});

test('a middleware that does not call next short-circuits and may set the result itself', async () => {
  let terminalRan = false;
  const run = compose<Ctx>(
    [
      (ctx) => {
        ctx.result = 'cached';
      },
      (_ctx, next) => next(),
    ],
    (ctx) => {
      terminalRan = true;
      ctx.result = 'fresh';
    },
  );
  const ctx = newCtx();
  await run(ctx);
  assert.equal(ctx.result, 'cached');
  assert.equal(terminalRan, false);
});

test('calling next() twice rejects and the terminal runs only once', async () => {
  let terminalRuns = 0;
  let secondCall: unknown;
  const run = compose<Ctx>(
    [
      async (_ctx, next) => {
        await next();
        try {
          await next();
        } catch (error) {
          secondCall = error;
          throw error;
        }
      },
    ],
    () => {
      terminalRuns++;
    },
  );
  await assert.rejects(async () => run(newCtx()), /next\(\) called more than once/);
  assert.ok(secondCall instanceof Error);
  assert.equal(terminalRuns, 1);
});

test('next() called twice by an inner middleware also rejects', async () => {
  let terminalRuns = 0;
  const run = compose<Ctx>(
    [
      (_ctx, next) => next(),
      async (_ctx, next) => {
        await Promise.all([next(), next()]);
      },
    ],
    () => {
      terminalRuns++;
    },
  );
  await assert.rejects(async () => run(newCtx()), /more than once/);
  assert.equal(terminalRuns, 1);
});

test('an empty chain returns the terminal itself', () => {
  const terminal = (ctx: Ctx) => void ctx.log.push('t');
  assert.equal(compose([], terminal), terminal);
});

test('the composed function can be run many times (state is per call)', async () => {
  const run = compose<Ctx>([(_ctx, next) => next()], (ctx) => void ctx.log.push('t'));
  for (let i = 0; i < 3; i++) {
    const ctx = newCtx();
    await run(ctx);
    assert.deepEqual(ctx.log, ['t']);
  }
});

test('a middleware sees the result set by the terminal after await next()', async () => {
  let seen: unknown;
  const run = compose<Ctx>(
    [
      async (ctx, next) => {
        assert.equal(ctx.result, undefined);
        await next();
        seen = ctx.result;
      },
    ],
    async (ctx) => {
      await Promise.resolve();
      ctx.result = { ok: true };
    },
  );
  await run(newCtx());
  assert.deepEqual(seen, { ok: true });
});

test('a middleware sees (and may handle) an error thrown further in', async () => {
  const failure = new Error('boom');
  let seen: unknown;
  const run = compose<Ctx>(
    [
      async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          seen = error;
          ctx.error = error;
        }
      },
      (_ctx, next) => next(),
    ],
    () => {
      throw failure;
    },
  );
  const ctx = newCtx();
  await run(ctx); // handled by the outer middleware: no rejection
  assert.equal(seen, failure);
  assert.equal(ctx.error, failure);
});

test('the rejection of an unhandled terminal error propagates to the caller', async () => {
  const run = compose<Ctx>([(_ctx, next) => next()], async () => {
    throw new Error('terminal failed');
  });
  await assert.rejects(async () => run(newCtx()), /terminal failed/);
});
