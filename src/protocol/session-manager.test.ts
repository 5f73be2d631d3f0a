import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { McpdError } from '../chassis/errors.js';
import { SessionManager } from './session-manager.js';
import type { Session } from './session.js';

function manager(maxSessions: number, idleTimeoutMs: number): SessionManager {
  return new SessionManager({ maxSessions, idleTimeoutMs });
}

test('create refuses with UNAVAILABLE beyond maxSessions when none is idle', (t) => {
  const sessions = manager(2, 60_000);
  t.after(() => sessions.closeAll());
  sessions.create('http');
  sessions.create('stdio');
  assert.equal(sessions.size, 2);
  assert.throws(
    () => sessions.create('http'),
    (error: unknown) => {
      assert.ok(error instanceof McpdError);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.retryAfterMs, 1000);
      return true;
    },
  );
  assert.equal(sessions.size, 2);
});

test('create reaps idle sessions to make room, but never a busy one', (t) => {
  const sessions = manager(2, 1000);
  t.after(() => sessions.closeAll());
  const idle = sessions.create('http');
  const busy = sessions.create('http');
  busy.busy++;
  idle.lastActivity -= 5000;
  busy.lastActivity -= 5000;
  const third = sessions.create('http');
  assert.equal(idle.closed, true);
  assert.equal(sessions.get(idle.id), undefined);
  assert.equal(busy.closed, false);
  assert.equal(sessions.get(busy.id), busy);
  assert.equal(sessions.get(third.id), third);
  // Now full with one busy and one fresh session: refused.
  assert.throws(() => sessions.create('http'), (error: unknown) => error instanceof McpdError && error.code === 'UNAVAILABLE');
});

test('reapIdle closes only sessions idle past the timeout and never one with a request in flight', (t) => {
  const sessions = manager(100, 1000);
  t.after(() => sessions.closeAll());
  const closed: Session[] = [];
  sessions.on((event, session) => {
    if (event === 'closed') closed.push(session);
  });
  const idle = sessions.create('http');
  const fresh = sessions.create('http');
  const inFlight = sessions.create('http');
  const now = Date.now();
  idle.lastActivity = now - 10_000;
  inFlight.lastActivity = now - 10_000;
  // Simulate a request in flight, as the engine does.
  inFlight.busy++;

  assert.equal(sessions.reapIdle(now), 1);
  assert.deepEqual(closed, [idle]);
  assert.equal(idle.closed, true);
  assert.equal(fresh.closed, false);
  assert.equal(inFlight.closed, false);

  // However far in the future, a busy session survives.
  assert.equal(sessions.reapIdle(now + 365 * 24 * 3600_000), 1); // only `fresh`
  assert.equal(inFlight.closed, false);
  assert.equal(sessions.get(inFlight.id), inFlight);

  // Once the request settles, it may be reaped.
  inFlight.busy--;
  assert.equal(sessions.reapIdle(now + 365 * 24 * 3600_000), 1);
  assert.equal(inFlight.closed, true);
  assert.equal(sessions.size, 0);
});

test('the reaper timer closes idle sessions on its own and spares busy ones', async (t) => {
  const sessions = manager(100, 100); // reaper runs every 250 ms
  t.after(() => sessions.closeAll());
  const idle = sessions.create('http');
  const busy = sessions.create('http');
  busy.busy++;
  await delay(600);
  assert.equal(idle.closed, true);
  assert.equal(sessions.get(idle.id), undefined);
  assert.equal(busy.closed, false);
  assert.equal(sessions.get(busy.id), busy);
});

test('touch() keeps a session alive', (t) => {
  const sessions = manager(10, 1000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('http');
  session.lastActivity -= 5000;
  session.touch();
  assert.equal(sessions.reapIdle(), 0);
  assert.equal(session.closed, false);
});

test('terminate closes and forgets a session and notifies listeners once', (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const events: string[] = [];
  const off = sessions.on((event, session) => events.push(`${event}:${session.id}`));
  const session = sessions.create('websocket');
  let closeHookRuns = 0;
  session.whenClosed(() => closeHookRuns++);
  assert.equal(sessions.terminate(session.id), true);
  assert.equal(session.closed, true);
  assert.equal(sessions.get(session.id), undefined);
  assert.equal(sessions.terminate(session.id), false);
  assert.equal(sessions.terminate('no-such-session'), false);
  assert.deepEqual(events, [`opened:${session.id}`, `closed:${session.id}`]);
  assert.equal(closeHookRuns, 1);
  off();
  sessions.create('http');
  assert.equal(events.length, 2);
});

test('closeAll terminates every session', () => {
  const sessions = manager(10, 60_000);
  const all = [sessions.create('http'), sessions.create('http'), sessions.create('stdio')];
  sessions.closeAll();
  assert.equal(sessions.size, 0);
  assert.ok(all.every((session) => session.closed));
});

test('session.request / deliverResponse round trip', async (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('http');
  const sent: string[] = [];
  const pending = session.request('roots/list', { a: 1 }, { send: (message) => sent.push(message) });
  assert.equal(sent.length, 1);
  const outgoing = JSON.parse(sent[0]!);
  assert.equal(outgoing.jsonrpc, '2.0');
  assert.equal(outgoing.method, 'roots/list');
  assert.deepEqual(outgoing.params, { a: 1 });
  assert.equal(typeof outgoing.id, 'string');

  assert.equal(session.deliverResponse({ jsonrpc: '2.0', id: 'unknown', result: {} }), false);
  assert.equal(session.deliverResponse({ jsonrpc: '2.0', id: outgoing.id, result: { roots: [] } }), true);
  assert.deepEqual(await pending, { roots: [] });
  // Settled: a second response for the same id is unknown.
  assert.equal(session.deliverResponse({ jsonrpc: '2.0', id: outgoing.id, result: {} }), false);

  // Ids are unique per request.
  const second = session.request('roots/list', {}, { send: (message) => sent.push(message) });
  const secondId = JSON.parse(sent[1]!).id;
  assert.notEqual(secondId, outgoing.id);
  // A non-object result resolves to {}.
  session.deliverResponse({ jsonrpc: '2.0', id: secondId, result: 'weird' });
  assert.deepEqual(await second, {});
});

test('session.request rejects with UPSTREAM_ERROR when the client answers with an error', async (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('http');
  let id = '';
  const pending = session.request('sampling/createMessage', {}, { send: (message) => (id = JSON.parse(message).id) });
  session.deliverResponse({ jsonrpc: '2.0', id, error: { code: -1, message: 'user declined' } });
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof McpdError);
    assert.equal(error.code, 'UPSTREAM_ERROR');
    assert.match(error.message, /user declined/);
    assert.deepEqual(error.data, { clientError: { code: -1, message: 'user declined' } });
    return true;
  });
});

test('session.request times out and honours an abort signal', async (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('http');
  // The request timer is unref'd (it must not hold a server open); keep the loop alive meanwhile.
  const keepAlive = setTimeout(() => {}, 5000);
  t.after(() => clearTimeout(keepAlive));
  let timedOutId = '';
  const timed = session.request('roots/list', {}, { timeoutMs: 10, send: (message) => (timedOutId = JSON.parse(message).id) });
  await assert.rejects(timed, (error: unknown) => error instanceof McpdError && error.code === 'TIMEOUT');
  assert.equal(session.deliverResponse({ jsonrpc: '2.0', id: timedOutId, result: {} }), false);

  const controller = new AbortController();
  const aborted = session.request('roots/list', {}, { signal: controller.signal, send: () => {} });
  controller.abort();
  await assert.rejects(aborted, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');

  const already = new AbortController();
  already.abort();
  let sentAnything = false;
  await assert.rejects(
    session.request('roots/list', {}, { signal: already.signal, send: () => (sentAnything = true) }),
    (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED',
  );
  assert.equal(sentAnything, false);
});

test('a pending server-to-client request is rejected with CANCELLED when the session closes', async () => {
  const sessions = manager(10, 60_000);
  const session = sessions.create('http');
  let id = '';
  const pending = session.request('elicitation/create', { message: 'ok?' }, { send: (message) => (id = JSON.parse(message).id) });
  sessions.terminate(session.id);
  await assert.rejects(pending, (error: unknown) => error instanceof McpdError && error.code === 'CANCELLED');
  assert.equal(session.deliverResponse({ jsonrpc: '2.0', id, result: {} }), false);
  // A closed session refuses new requests.
  await assert.rejects(
    session.request('roots/list', {}, { send: () => assert.fail('must not send') }),
    (error: unknown) => error instanceof McpdError && error.code === 'UNAVAILABLE',
  );
  sessions.closeAll();
});

test('cancellation through track/cancel aborts the tracked request with CANCELLED', (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('http');
  const reasons: unknown[] = [];
  session.track(7, { abort: (reason) => reasons.push(reason) });
  session.track('x', { abort: () => assert.fail('other request must not be aborted') });
  assert.equal(session.inFlightCount, 2);
  session.cancel(7, 'user pressed stop');
  session.cancel('unknown', 'nothing');
  assert.equal(reasons.length, 1);
  assert.ok(reasons[0] instanceof McpdError);
  assert.equal((reasons[0] as McpdError).code, 'CANCELLED');
  assert.equal((reasons[0] as McpdError).message, 'user pressed stop');
  session.untrack(7);
  session.untrack('x');
  assert.equal(session.inFlightCount, 0);
  session.cancel(7, 'after untrack');
  assert.equal(reasons.length, 1);
});

test('closing a session aborts every tracked request', () => {
  const sessions = manager(10, 60_000);
  const session = sessions.create('http');
  const reasons: unknown[] = [];
  session.track(1, { abort: (reason) => reasons.push(reason) });
  session.track(2, { abort: (reason) => reasons.push(reason) });
  sessions.terminate(session.id);
  assert.equal(reasons.length, 2);
  assert.ok(reasons.every((reason) => reason instanceof McpdError && reason.code === 'CANCELLED'));
  assert.equal(session.inFlightCount, 0);
  sessions.closeAll();
});

test('sessions that never finish the handshake are reaped after handshakeTimeoutMs; initialized ones wait for idleTimeoutMs', (t) => {
  const sessions = new SessionManager({ handshakeTimeoutMs: 100, idleTimeoutMs: 60_000 });
  t.after(() => sessions.closeAll());
  const half = sessions.create('http');
  const done = sessions.create('http');
  done.initialized = true;
  const busyHalf = sessions.create('http');
  busyHalf.busy++;
  const now = Date.now();
  assert.equal(sessions.reapIdle(now + 50), 0, 'not before the handshake timeout');
  assert.equal(sessions.reapIdle(now + 200), 1);
  assert.equal(half.closed, true);
  assert.equal(sessions.get(half.id), undefined);
  assert.equal(done.closed, false);
  assert.equal(busyHalf.closed, false, 'a request in flight protects even a half-open session');
  assert.equal(sessions.reapIdle(now + 59_000), 0);
  assert.equal(sessions.reapIdle(now + 61_000), 1);
  assert.equal(done.closed, true);
});

test('handshakeTimeoutMs never extends idleTimeoutMs', (t) => {
  const sessions = new SessionManager({ handshakeTimeoutMs: 10_000, idleTimeoutMs: 100 });
  t.after(() => sessions.closeAll());
  const half = sessions.create('http');
  assert.equal(sessions.reapIdle(Date.now() + 200), 1);
  assert.equal(half.closed, true);
});

test('the reaper timer runs often enough for the handshake timeout', async (t) => {
  const sessions = new SessionManager({ handshakeTimeoutMs: 100, idleTimeoutMs: 60_000 }); // reaper every 250 ms
  t.after(() => sessions.closeAll());
  const half = sessions.create('http');
  const done = sessions.create('http');
  done.initialized = true;
  await delay(700);
  assert.equal(half.closed, true);
  assert.equal(done.closed, false);
});

test('a client error answer is untrusted: only a numeric code and a bounded string message are kept', async (t) => {
  const sessions = manager(10, 60_000);
  t.after(() => sessions.closeAll());
  const session = sessions.create('websocket');
  const answers: unknown[] = [
    { code: 1, message: { toString: 1 } },
    { code: { valueOf: 1 }, message: 'y'.repeat(10_000) },
    null,
    'not an object',
    [1, 2],
  ];
  for (const error of answers) {
    let id = '';
    const pending = session.request('elicitation/create', { message: 'ok?' }, { send: (message) => (id = JSON.parse(message).id) });
    assert.doesNotThrow(() => session.deliverResponse({ jsonrpc: '2.0', id, error } as never));
    await assert.rejects(pending, (rejection: unknown) => {
      assert.ok(rejection instanceof McpdError);
      assert.equal(rejection.code, 'UPSTREAM_ERROR');
      assert.ok(rejection.message.length <= 600, `bounded message (${rejection.message.length})`);
      const clientError = (rejection.data as { clientError: { code: unknown; message: unknown } }).clientError;
      assert.equal(typeof clientError.code, 'number');
      assert.equal(typeof clientError.message, 'string');
      assert.ok((clientError.message as string).length <= 500);
      return true;
    });
  }
});
