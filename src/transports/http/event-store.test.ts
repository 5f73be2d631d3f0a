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
