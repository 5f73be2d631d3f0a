import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { McpdError } from '../chassis/errors.js';
import { Registry, type RegistryKind } from './registry.js';

const tool = (name: string, extra: Record<string, unknown> = {}) => ({ name, handler: () => 'ok', ...extra });

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof McpdError, `expected McpdError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

test('tool names are validated', () => {
  const registry = new Registry();
  for (const good of ['echo', 'get_weather', 'fs.read-file', 'A1', 'x'.repeat(128)]) registry.addTool(tool(good));
  for (const bad of ['', 'has space', 'a/b', 'tool:call', 'émoji', 'x'.repeat(129), 'new\nline']) {
    expectCode(() => registry.addTool(tool(bad)), 'VALIDATION_ERROR');
  }
  assert.equal(registry.tools.size, 5);
});

test('registering a duplicate is a CONFLICT (tools, resources, templates, prompts)', () => {
  const registry = new Registry();
  registry.addTool(tool('echo'));
  expectCode(() => registry.addTool(tool('echo', { description: 'again' })), 'CONFLICT');
  registry.addResource({ uri: 'mem://a', name: 'a', read: () => 'a' });
  expectCode(() => registry.addResource({ uri: 'mem://a', name: 'b', read: () => 'b' }), 'CONFLICT');
  registry.addResourceTemplate({ uriTemplate: 'mem://{id}', name: 't', read: () => 'x' });
  expectCode(() => registry.addResourceTemplate({ uriTemplate: 'mem://{id}', name: 't2', read: () => 'x' }), 'CONFLICT');
  registry.addPrompt({ name: 'p', get: () => 'hi' });
  expectCode(() => registry.addPrompt({ name: 'p', get: () => 'hi' }), 'CONFLICT');
  // The first registration is untouched.
  assert.equal(registry.tools.get('echo')?.descriptor.description, undefined);
});

test('the JSON Schema is generated once: descriptors are identical across listTools calls', () => {
  const registry = new Registry();
  registry.addTool(
    tool('weather', {
      title: 'Weather',
      description: 'Gets the weather',
      input: z.object({ city: z.string().describe('City name'), days: z.number().int().optional() }),
      output: z.object({ temperature: z.number() }),
      annotations: { readOnlyHint: true },
    }),
  );
  const first = registry.listTools();
  const second = registry.listTools();
  assert.equal(first, second, 'the list itself is cached');
  assert.equal(first[0], registry.tools.get('weather')!.descriptor);
  const descriptor = first[0]!;
  assert.equal(descriptor.name, 'weather');
  assert.equal(descriptor.title, 'Weather');
  assert.equal(descriptor.description, 'Gets the weather');
  assert.deepEqual(descriptor.annotations, { readOnlyHint: true });
  const inputSchema = descriptor.inputSchema as Record<string, any>;
  assert.equal(inputSchema.type, 'object');
  assert.deepEqual(inputSchema.required, ['city']);
  assert.equal(inputSchema.properties.city.type, 'string');
  assert.equal(inputSchema.properties.city.description, 'City name');
  assert.equal((descriptor.outputSchema as Record<string, unknown>).type, 'object');
  assert.equal(registry.tools.get('weather')!.hasOutputSchema, true);

  // Adding another tool builds a new list but reuses the existing descriptor objects.
  registry.addTool(tool('other'));
  const third = registry.listTools();
  assert.notEqual(third, first);
  assert.equal(third[0], descriptor);
  assert.equal(third[0]!.inputSchema, inputSchema);
});

test('a tool without input gets an empty object schema and accepts no/empty arguments', () => {
  const registry = new Registry();
  registry.addTool(tool('ping'));
  const compiled = registry.tools.get('ping')!;
  assert.equal((compiled.descriptor.inputSchema as Record<string, unknown>).type, 'object');
  assert.equal(compiled.validate(undefined).ok, true);
  assert.equal(compiled.validate({}).ok, true);
  assert.equal(compiled.hasOutputSchema, false);
  assert.equal('outputSchema' in compiled.descriptor, false);
});

test('zod input validation: parsed values and readable messages', () => {
  const registry = new Registry();
  registry.addTool(tool('add', { input: z.object({ a: z.number(), b: z.number().default(1) }) }));
  const compiled = registry.tools.get('add')!;
  assert.deepEqual(compiled.validate({ a: 2 }), { ok: true, value: { a: 2, b: 1 } });
  const bad = compiled.validate({ a: 'two' });
  assert.equal(bad.ok, false);
  assert.match(bad.message!, /^a: /);
  assert.equal(compiled.validate(undefined).ok, false);
});

test('list caches are invalidated on add/remove and onChange listeners fire', () => {
  const registry = new Registry();
  const changes: RegistryKind[] = [];
  const off = registry.onChange((kind) => changes.push(kind));

  const empty = registry.listTools();
  assert.deepEqual(empty, []);
  registry.addTool(tool('a'));
  const withA = registry.listTools();
  assert.notEqual(withA, empty);
  assert.deepEqual(withA.map((entry) => entry.name), ['a']);
  assert.equal(registry.removeTool('a'), true);
  const afterRemove = registry.listTools();
  assert.notEqual(afterRemove, withA);
  assert.deepEqual(afterRemove, []);
  assert.equal(registry.removeTool('a'), false, 'removing an unknown tool changes nothing');
  assert.equal(registry.listTools(), afterRemove);

  const resources = registry.listResources();
  const templates = registry.listTemplates();
  registry.addResource({ uri: 'mem://r', name: 'r', mimeType: 'text/plain', read: () => 'r' });
  assert.notEqual(registry.listResources(), resources);
  assert.deepEqual(registry.listResources(), [{ uri: 'mem://r', name: 'r', mimeType: 'text/plain' }]);
  registry.addResourceTemplate({ uriTemplate: 'mem://{x}', name: 'tpl', read: () => 'x' });
  assert.notEqual(registry.listTemplates(), templates);
  assert.deepEqual(registry.listTemplates(), [{ uriTemplate: 'mem://{x}', name: 'tpl' }]);
  assert.equal(registry.removeResource('mem://r'), true);
  assert.deepEqual(registry.listResources(), []);

  const prompts = registry.listPrompts();
  registry.addPrompt({ name: 'p', get: () => 'hi' });
  assert.notEqual(registry.listPrompts(), prompts);
  assert.equal(registry.removePrompt('p'), true);
  assert.deepEqual(registry.listPrompts(), []);
  assert.equal(registry.removePrompt('p'), false);

  assert.deepEqual(changes, ['tools', 'tools', 'resources', 'resources', 'resources', 'prompts', 'prompts']);
  off();
  registry.addTool(tool('b'));
  assert.equal(changes.length, 7);
});

test('raw inputSchema tools are published verbatim and validated by Ajv', () => {
  const registry = new Registry();
  const inputSchema = {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1 },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
    },
    required: ['query'],
    additionalProperties: false,
  };
  registry.addTool(tool('search', { inputSchema }));
  const compiled = registry.tools.get('search')!;
  assert.equal(compiled.descriptor.inputSchema, inputSchema);
  assert.deepEqual(compiled.validate({ query: 'mcp', limit: 10 }), { ok: true, value: { query: 'mcp', limit: 10 } });
  for (const bad of [{}, { query: '' }, { query: 'x', limit: 0 }, { query: 'x', limit: 1.5 }, { query: 'x', extra: true }, undefined]) {
    const outcome = compiled.validate(bad);
    assert.equal(outcome.ok, false, JSON.stringify(bad));
    assert.equal(typeof outcome.message, 'string');
    assert.ok(outcome.message!.length > 0);
  }
  assert.match(compiled.validate({ query: 'x', limit: 0 }).message!, /\/limit/);
});

test('a zod input wins over a raw inputSchema', () => {
  const registry = new Registry();
  registry.addTool(tool('both', { input: z.object({ a: z.string() }), inputSchema: { type: 'object', properties: { b: { type: 'number' } } } }));
  const compiled = registry.tools.get('both')!;
  assert.ok((compiled.descriptor.inputSchema as Record<string, any>).properties.a);
  assert.equal(compiled.validate({ a: 'x' }).ok, true);
  assert.equal(compiled.validate({ b: 1 }).ok, false);
});

test('a raw inputSchema with an $id can be removed and registered again, and used by two registries', () => {
  // Two servers in one process (or a tool re-registered after removal) must not collide.
  const schema = () => ({
    $id: 'https://example.com/schemas/lookup.json',
    type: 'object',
    properties: { key: { type: 'string' } },
    required: ['key'],
  });
  const first = new Registry();
  first.addTool(tool('lookup', { inputSchema: schema() }));
  first.removeTool('lookup');
  first.addTool(tool('lookup', { inputSchema: schema() }));
  const second = new Registry();
  second.addTool(tool('lookup', { inputSchema: schema() }));
  assert.equal(second.tools.get('lookup')!.validate({ key: 'k' }).ok, true);
  assert.equal(second.tools.get('lookup')!.validate({}).ok, false);
});

test('x-mcp-header annotations become paramHeaders', () => {
  const registry = new Registry();
  registry.addTool(
    tool('deploy', {
      inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, notes: { type: 'string' } } },
    }),
  );
  assert.deepEqual(registry.tools.get('deploy')!.paramHeaders, [{ property: 'region', header: 'mcp-param-region', type: 'string' }]);
});

test('taskSupport optional/required is published as execution.taskSupport; forbidden is not', () => {
  const registry = new Registry();
  registry.addTool(tool('slow', { taskSupport: 'optional' }));
  registry.addTool(tool('never', { taskSupport: 'forbidden' }));
  assert.deepEqual(registry.tools.get('slow')!.descriptor.execution, { taskSupport: 'optional' });
  assert.equal('execution' in registry.tools.get('never')!.descriptor, false);
});

test('prompt arguments are derived from the zod schema: required/optional and descriptions', () => {
  const registry = new Registry();
  registry.addPrompt({
    name: 'review',
    title: 'Code review',
    description: 'Reviews code',
    arguments: z.object({
      code: z.string().describe('The code to review'),
      language: z.string().optional().describe('Programming language'),
      tone: z.string().default('friendly'),
      focus: z.string(),
    }),
    get: () => 'review this',
  });
  const [descriptor] = registry.listPrompts();
  assert.deepEqual(descriptor, {
    name: 'review',
    title: 'Code review',
    description: 'Reviews code',
    arguments: [
      { name: 'code', required: true, description: 'The code to review' },
      { name: 'language', required: false, description: 'Programming language' },
      { name: 'tone', required: false },
      { name: 'focus', required: true },
    ],
  });
  const compiled = registry.prompts.get('review')!;
  assert.deepEqual(compiled.validate({ code: 'x', focus: 'y' }), { ok: true, value: { code: 'x', focus: 'y', tone: 'friendly' } });
  const missing = compiled.validate({ code: 'x' });
  assert.equal(missing.ok, false);
  assert.match(missing.message!, /focus/);
});

test('a prompt without arguments has no arguments list and accepts empty arguments', () => {
  const registry = new Registry();
  registry.addPrompt({ name: 'hello', get: () => 'hi' });
  assert.deepEqual(registry.listPrompts(), [{ name: 'hello' }]);
  assert.equal(registry.prompts.get('hello')!.validate(undefined).ok, true);
});

test('matchTemplate finds the template serving a URI', () => {
  const registry = new Registry();
  registry.addResourceTemplate({ uriTemplate: 'users://{id}', name: 'user', read: () => 'u' });
  registry.addResourceTemplate({ uriTemplate: 'files:///{+path}', name: 'file', read: () => 'f' });
  const user = registry.matchTemplate('users://42');
  assert.equal(user?.template.definition.name, 'user');
  assert.deepEqual(user?.variables, { id: '42' });
  assert.deepEqual(registry.matchTemplate('files:///a/b.txt')?.variables, { path: 'a/b.txt' });
  assert.equal(registry.matchTemplate('nothing://here'), undefined);
});
