/** Component lifespan: start in order, stop in reverse, a failed start unwinds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lifecycle, StartupError, type Component } from './lifecycle.js';

function recorder() {
  const events: string[] = [];
  const component = (name: string, extra: Partial<Component> = {}): Component => ({
    name,
    start: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      events.push(`start ${name}`);
    },
    stop: () => {
      events.push(`stop ${name}`);
    },
    ...extra,
  });
  return { events, component };
}

test('components start in registration order and stop in reverse', async () => {
  const { events, component } = recorder();
  const lifecycle = new Lifecycle().register(component('a')).register(component('b')).register(component('c'));
  assert.equal(lifecycle.phase, 'idle');
  await lifecycle.start();
  assert.equal(lifecycle.phase, 'running');
  assert.deepEqual(events, ['start a', 'start b', 'start c']);
  await lifecycle.stop();
  assert.equal(lifecycle.phase, 'stopped');
  assert.deepEqual(events, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
});

test('each start is awaited before the next begins', async () => {
  const events: string[] = [];
  const lifecycle = new Lifecycle()
    .register({ name: 'slow', start: () => new Promise<void>((resolve) => setTimeout(() => (events.push('slow done'), resolve()), 30)) })
    .register({ name: 'next', start: () => void events.push('next') });
  await lifecycle.start();
  assert.deepEqual(events, ['slow done', 'next']);
});

test('a failed start stops the started components in reverse and throws StartupError naming the component', async () => {
  const { events, component } = recorder();
  const cause = new Error('port in use');
  const lifecycle = new Lifecycle()
    .register(component('tracing'))
    .register(component('metrics'))
    .register(component('http', { start: () => Promise.reject(cause) }))
    .register(component('never'));
  await assert.rejects(lifecycle.start(), (error: unknown) => {
    assert.ok(error instanceof StartupError);
    assert.equal(error.component, 'http');
    assert.equal(error.name, 'StartupError');
    assert.match(error.message, /^http failed to start: port in use$/);
    assert.equal(error.cause, cause);
    return true;
  });
  assert.deepEqual(events, ['start tracing', 'start metrics', 'stop metrics', 'stop tracing'], 'the failed and later components are never stopped or started');
});

test('a synchronous throw in start is a StartupError too; non-Error causes are stringified', async () => {
  const lifecycle = new Lifecycle().register({
    name: 'db',
    start: () => {
      throw 'unreachable';
    },
  });
  await assert.rejects(lifecycle.start(), (error: unknown) => error instanceof StartupError && error.component === 'db' && error.message === 'db failed to start: unreachable');
});

test('components without hooks are fine', async () => {
  const lifecycle = new Lifecycle().register({ name: 'passive' });
  await lifecycle.start();
  await lifecycle.stop();
  assert.equal(lifecycle.phase, 'stopped');
});

test('a failing stop is reported and does not prevent the others', async () => {
  const { events, component } = recorder();
  const failures: string[] = [];
  const lifecycle = new Lifecycle()
    .register(component('a'))
    .register(component('b', { stop: () => Promise.reject(new Error('stuck')) }))
    .register(component('c'));
  await lifecycle.start();
  await lifecycle.stop((name, error) => failures.push(`${name}: ${(error as Error).message}`));
  assert.deepEqual(events.filter((event) => event.startsWith('stop')), ['stop c', 'stop a']);
  assert.deepEqual(failures, ['b: stuck']);
});

test('stop is idempotent: a second stop (e.g. a second signal) stops nothing twice', async () => {
  const { events, component } = recorder();
  const lifecycle = new Lifecycle().register(component('a'));
  await lifecycle.start();
  await Promise.all([lifecycle.stop(), lifecycle.stop()]);
  await lifecycle.stop();
  assert.deepEqual(events, ['start a', 'stop a']);
});

test('registering after start is refused', async () => {
  const lifecycle = new Lifecycle();
  await lifecycle.start();
  assert.throws(() => lifecycle.register({ name: 'late' }), /Cannot register late after start/);
});
