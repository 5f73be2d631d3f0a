/** The package's public entry points resolve from the build (what `npm install mcpd` users import). */
import { test } from 'node:test';
import assert from 'node:assert/strict';

// Specifiers held in variables: the type check runs before the build, when dist/ does not exist yet.
const load = (specifier: string): Promise<Record<string, unknown>> => import(specifier);

test("'mcpd' exposes the server API and 'mcpd/app' the assembled service", async () => {
  const root = await load('mcpd');
  assert.equal(typeof root.createServer, 'function');
  assert.equal(typeof root.McpdError, 'function');
  const app = await load('mcpd/app');
  assert.equal(typeof app.createMcpd, 'function');
  assert.equal(typeof app.runMcpd, 'function');
  assert.equal(typeof app.loadConfig, 'function');
});
