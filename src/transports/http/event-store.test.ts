import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { MemoryEventStore, streamIdOf } from './event-store.js';

function replay(store: MemoryEventStore, lastEventId: string): { stream: string | undefined; events: [string, string][] } {
  const events: [string, string][] = [];
  const stream = store.replayAfter(lastEventId, (id, message) => events.push([id, message]));
  return { stream, events };
}

test('append returns <stream>_<seq> ids in order, per stream', () => {
  const store = new MemoryEventStore();
  assert.equal(store.append('a', 'm0'), 'a_0');
  assert.equal(store.append('a', 'm1'), 'a_1');
  assert.equal(store.append('b', 'n0'), 'b_0');
  assert.equal(store.append('a', 'm2'), 'a_2');
  assert.equal(store.size, 2);
});

test('replayAfter sends the later events of the same stream, in order', () => {
  const store = new MemoryEventStore();
  for (let i = 0; i < 5; i++) store.append('s1', `msg${i}`);
  store.append('other', 'x');
  assert.deepEqual(replay(store, 's1_1'), {
    stream: 's1',
    events: [
      ['s1_2', 'msg2'],
      ['s1_3', 'msg3'],
      ['s1_4', 'msg4'],
    ],
  });
  // After the last event: nothing to send, but the stream is known.
  assert.deepEqual(replay(store, 's1_4'), { stream: 's1', events: [] });
});

test('stream ids may themselves contain underscores', () => {
  const store = new MemoryEventStore();
  const first = store.append('session_abc_stream_1', 'one');
  store.append('session_abc_stream_1', 'two');
  assert.equal(streamIdOf(first), 'session_abc_stream_1');
  assert.deepEqual(replay(store, first), { stream: 'session_abc_stream_1', events: [['session_abc_stream_1_1', 'two']] });
});

test('the priming id <stream>_-1 replays everything', () => {
  const store = new MemoryEventStore();
  store.append('p', 'a');
  store.append('p', 'b');
  assert.deepEqual(replay(store, 'p_-1'), {
    stream: 'p',
    events: [
      ['p_0', 'a'],
      ['p_1', 'b'],
    ],
  });
});

test('unknown or malformed ids replay nothing and return undefined', () => {
  const store = new MemoryEventStore();
  store.append('s', 'a');
  store.append('s', 'b');
  for (const id of ['nope_0', 'no-underscore', '_0', '', 's_abc', 's_1.5', 'S_0']) {
    const outcome = replay(store, id);
    assert.equal(outcome.stream, undefined, id);
    assert.deepEqual(outcome.events, [], id);
  }
});

test('an id with an empty sequence ("<stream>_") is unknown, not "after 0"', () => {
  // The store never issues "s_"; Number("") is 0, so it must not be read as "s_0"
  // (that would silently skip event 0).
  const store = new MemoryEventStore();
  store.append('s', 'a');
  store.append('s', 'b');
  assert.deepEqual(replay(store, 's_'), { stream: undefined, events: [] });
});

test('each stream keeps at most maxEventsPerStream events, oldest dropped first', () => {
  const store = new MemoryEventStore({ maxEventsPerStream: 3 });
  for (let i = 0; i < 6; i++) store.append('s', `m${i}`);
  // Resuming from before the retained window would silently skip m0..m2: refused instead.
  assert.equal(replay(store, 's_-1').stream, undefined);
  assert.deepEqual(replay(store, 's_2').events, [
    ['s_3', 'm3'],
    ['s_4', 'm4'],
    ['s_5', 'm5'],
  ]);
  assert.deepEqual(replay(store, 's_3').events, [
    ['s_4', 'm4'],
    ['s_5', 'm5'],
  ]);
  // Sequence numbers keep counting after drops.
  assert.equal(store.append('s', 'm6'), 's_6');
});

test('maxStreams evicts the least recently written stream', () => {
  const store = new MemoryEventStore({ maxStreams: 2 });
  store.append('a', 'a0');
  store.append('b', 'b0');
  store.append('a', 'a1'); // `a` is now the most recently written
  store.append('c', 'c0'); // evicts `b`
  assert.equal(store.size, 2);
  assert.equal(replay(store, 'b_-1').stream, undefined);
  assert.equal(replay(store, 'a_-1').events.length, 2);
  assert.equal(replay(store, 'c_-1').events.length, 1);
  store.append('d', 'd0'); // evicts `a`
  assert.equal(store.size, 2);
  assert.equal(replay(store, 'a_0').stream, undefined);
  assert.equal(replay(store, 'c_-1').stream, 'c');
  assert.equal(replay(store, 'd_-1').stream, 'd');
});

test('maxStreams: 1 keeps only the newest stream', () => {
  const store = new MemoryEventStore({ maxStreams: 1 });
  for (const id of ['a', 'b', 'c']) store.append(id, id);
  assert.equal(store.size, 1);
  assert.equal(replay(store, 'c_-1').events.length, 1);
  assert.equal(replay(store, 'a_-1').stream, undefined);
});

test('a finished stream stays replayable, and is forgotten after its retention when new streams arrive', async () => {
  const store = new MemoryEventStore({ retentionMs: 10 });
  store.append('done', 'x');
  store.finish('done');
  store.finish('never-existed'); // harmless
  assert.equal(replay(store, 'done_-1').events.length, 1);
  await delay(25);
  store.append('fresh', 'y');
  assert.equal(replay(store, 'done_-1').stream, undefined);
  assert.equal(store.size, 1);
});

test('maxBytes: least recently written streams are evicted and heldBytes never exceeds the budget', () => {
  const budget = 100;
  const store = new MemoryEventStore({ maxBytes: budget });
  for (let i = 0; i < 20; i++) {
    store.append(`s${i}`, 'x'.repeat(30));
    assert.ok(store.heldBytes <= budget, `after s${i}: ${store.heldBytes} bytes held`);
  }
  // Three 30-byte streams fit; the oldest are gone.
  assert.equal(store.size, 3);
  assert.equal(store.heldBytes, 90);
  for (const id of ['s0', 's1', 's16']) assert.equal(replay(store, `${id}_-1`).stream, undefined, id);
  for (const id of ['s17', 's18', 's19']) assert.deepEqual(replay(store, `${id}_-1`).events, [[`${id}_0`, 'x'.repeat(30)]], id);
});

test('maxBytes: growing one stream past the budget evicts the others first, least recently written first', () => {
  const store = new MemoryEventStore({ maxBytes: 100 });
  store.append('a', 'a'.repeat(40));
  store.append('b', 'b'.repeat(40));
  store.append('c', 'c'.repeat(10));
  store.append('a', 'A'.repeat(40)); // 130 held: `b` is now the least recently written
  assert.ok(store.heldBytes <= 100, `${store.heldBytes} bytes held`);
  assert.equal(replay(store, 'b_-1').stream, undefined);
  assert.equal(replay(store, 'a_-1').events.length, 2);
  assert.equal(replay(store, 'c_-1').events.length, 1);
  assert.equal(store.heldBytes, 90);
});

test('heldBytes follows events dropped by maxEventsPerStream and streams dropped by maxStreams', () => {
  const store = new MemoryEventStore({ maxEventsPerStream: 2, maxStreams: 2, maxBytes: 1_000 });
  for (let i = 0; i < 5; i++) store.append('s', '0123456789');
  assert.equal(store.heldBytes, 20);
  store.append('t', 'abcde');
  assert.equal(store.heldBytes, 25);
  store.append('u', 'xyz'); // evicts `s`
  assert.equal(store.heldBytes, 8);
  assert.equal(store.size, 2);
});

test('a stream evicted by the budget and written again never reissues an event id, nor silently skips on resumption', () => {
  // A live stream (say a quiet standalone GET) can be evicted under byte pressure and then receive more events.
  const store = new MemoryEventStore({ maxBytes: 100 });
  const issued = [store.append('live', 'a'.repeat(30)), store.append('live', 'b'.repeat(30))];
  for (let i = 0; i < 3; i++) store.append(`busy${i}`, 'x'.repeat(40)); // evicts `live`
  assert.equal(replay(store, 'live_1').stream, undefined, 'evicted');
  const next = store.append('live', 'c'.repeat(10));
  assert.ok(!issued.includes(next), `a new event must not reuse an id the client may have seen (got ${next}, issued ${issued.join(', ')})`);
  // A client that saw live_1 before the eviction resumes: it must get the new event, or be told the id is unknown.
  const resumed = replay(store, issued[1]!);
  if (resumed.stream !== undefined) assert.deepEqual(resumed.events, [[next, 'c'.repeat(10)]]);
});
