/**
 * The filesystem tools through the real server on real temporary
 * directories: every tool's happy path, edit conflicts and dry runs, caps,
 * switches (read-only, delete off), the client's roots narrowing the
 * configured ones (never widening), resources, and an atomic write that
 * survives its process being killed mid-write (the old content or the new,
 * never a torn file).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startMcpd, testConfig, type StartedMcpd } from '../helpers/chassis.js';
import { statelessPost } from '../helpers/server.js';

const T = { timeout: 30_000 };

async function call(url: string, name: string, args: Record<string, unknown>) {
  const response = await statelessPost(url, 'tools/call', { name, arguments: args });
  assert.equal(response.status, 200, JSON.stringify(response.json));
  const result = response.json.result ?? {};
  return { result, error: response.json.error, structured: result.structuredContent, text: (result.content?.[0]?.text ?? '') as string, isError: result.isError === true };
}

function tree(root: string): void {
  mkdirSync(join(root, 'docs/guides'), { recursive: true });
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'docs/readme.md'), '# Project\n\nLine three\nLine four\nLine five\n');
  writeFileSync(join(root, 'docs/guides/setup.md'), 'Install with npm.\nThen run it.\n');
  writeFileSync(join(root, 'src/main.ts'), 'export const answer = 42;\n// TODO: more\n');
  writeFileSync(join(root, 'src/util.ts'), 'export function add(a: number, b: number) {\n  return a + b; // TODO: overflow\n}\n');
  writeFileSync(join(root, 'logo.png'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  symlinkSync('docs/readme.md', join(root, 'readme-link'));
}

describe('filesystem tools on a real directory', () => {
  let base: string;
  let root: string;
  let app: StartedMcpd;

  before(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-fs-tools-')));
    root = join(base, 'root');
    mkdirSync(root);
    tree(root);
    app = await startMcpd(testConfig({ filesystem: { roots: [root], delete: true, maxReadBytes: 4096, tree: { maxEntries: 50 } } }));
  });
  after(async () => {
    await app?.shutdown();
    rmSync(base, { recursive: true, force: true });
  });

  test('the tools are listed with honest annotations', T, async () => {
    const listed = await statelessPost(app.url, 'tools/list');
    const tools = new Map<string, { annotations: Record<string, boolean> }>(listed.json.result.tools.map((tool: { name: string }) => [tool.name, tool]));
    for (const name of ['fs_read', 'fs_read_media', 'fs_list', 'fs_tree', 'fs_info', 'fs_search', 'fs_write', 'fs_edit', 'fs_mkdir', 'fs_move', 'fs_delete']) assert.ok(tools.has(name), name);
    assert.equal(tools.get('fs_read')!.annotations.readOnlyHint, true);
    assert.equal(tools.get('fs_write')!.annotations.destructiveHint, true);
    assert.equal(tools.get('fs_delete')!.annotations.destructiveHint, true);
    assert.equal(tools.get('fs_mkdir')!.annotations.idempotentHint, true);
  });

  test('fs_read: whole, a line range, head, tail, several files (one failing)', T, async () => {
    assert.equal((await call(app.url, 'fs_read', { path: 'docs/readme.md' })).text, '# Project\n\nLine three\nLine four\nLine five');
    const range = await call(app.url, 'fs_read', { path: 'docs/readme.md', startLine: 3, endLine: 4 });
    assert.equal(range.text, 'Line three\nLine four');
    assert.deepEqual({ ...range.structured.files[0], text: undefined }, { path: 'docs/readme.md', text: undefined, startLine: 3, endLine: 4, totalLines: 5, truncated: false, bytes: 42 });
    assert.equal((await call(app.url, 'fs_read', { path: 'docs/readme.md', head: 1 })).text, '# Project');
    assert.equal((await call(app.url, 'fs_read', { path: join(root, 'docs/readme.md'), tail: 1 })).text, 'Line five');
    const many = await call(app.url, 'fs_read', { paths: ['src/main.ts', 'missing.txt', 'docs/guides/setup.md'] });
    assert.equal(many.isError, false);
    assert.equal(many.structured.files.length, 3);
    assert.match(many.structured.files[1].error, /^NOT_FOUND: /);
    assert.match(many.text, /== src\/main.ts\nexport const answer = 42;/);
    const binary = await call(app.url, 'fs_read', { path: 'logo.png' });
    assert.equal(binary.isError, true);
    assert.match(binary.text, /binary file; use fs_read_media/);
  });

  test('fs_read caps a large file and says so', T, async () => {
    writeFileSync(join(root, 'big.txt'), 'x'.repeat(10_000));
    const { structured } = await call(app.url, 'fs_read', { path: 'big.txt' });
    assert.equal(structured.files[0].truncated, true);
    assert.equal(structured.files[0].text.length, 4096);
    rmSync(join(root, 'big.txt'));
  });

  test('fs_read_media returns an image as an image', T, async () => {
    const { result } = await call(app.url, 'fs_read_media', { path: 'logo.png' });
    assert.equal(result.content[0].type, 'image');
    assert.equal(result.content[0].mimeType, 'image/png');
    assert.deepEqual(Buffer.from(result.content[0].data, 'base64'), readFileSync(join(root, 'logo.png')));
  });

  test('fs_list, fs_tree (symlinks shown, not followed), fs_info', T, async () => {
    const list = await call(app.url, 'fs_list', { path: '.' });
    const names = list.structured.entries.map((entry: { name: string; type: string }) => `${entry.name}:${entry.type}`).sort();
    assert.deepEqual(names, ['docs:directory', 'logo.png:file', 'readme-link:symlink', 'src:directory']);
    const roots = await call(app.url, 'fs_list', {});
    assert.equal(roots.structured.entries.length, 1);
    const shown = await call(app.url, 'fs_tree', { path: '.', maxDepth: 2 });
    const paths = shown.structured.entries.map((entry: { display: string }) => entry.display);
    assert.ok(paths.includes('docs/guides'));
    assert.ok(!paths.includes('docs/guides/setup.md'), 'depth 2 stops above the third level');
    const info = await call(app.url, 'fs_info', { path: 'src/main.ts' });
    assert.equal(info.structured.type, 'file');
    assert.equal(info.structured.size, Buffer.byteLength('export const answer = 42;\n// TODO: more\n'));
    assert.equal(info.structured.display, 'src/main.ts');
  });

  test('fs_search by glob, by literal and regex content, bounded', T, async () => {
    const byName = await call(app.url, 'fs_search', { glob: '**/*.md' });
    assert.deepEqual(byName.structured.matches.map((match: { path: string }) => match.path).sort(), ['docs/guides/setup.md', 'docs/readme.md']);
    const todo = await call(app.url, 'fs_search', { content: 'todo', glob: 'src/**' });
    assert.deepEqual(todo.structured.matches.map((match: { path: string; line: number }) => `${match.path}:${match.line}`).sort(), ['src/main.ts:2', 'src/util.ts:2']);
    const regex = await call(app.url, 'fs_search', { content: 'return \\w+ \\+ \\w+', regex: true });
    assert.deepEqual(regex.structured.matches.map((match: { path: string }) => match.path), ['src/util.ts']);
    const capped = await call(app.url, 'fs_search', { content: 'e', maxResults: 2 });
    assert.equal(capped.structured.matches.length, 2);
    assert.equal(capped.structured.truncated, true);
    const bad = await call(app.url, 'fs_search', { content: '(', regex: true });
    assert.match(bad.text, /^VALIDATION_ERROR: content is not a valid regular expression/);
  });

  test('a catastrophic-backtracking pattern runs in linear time (RE2), so it cannot stall the server', T, async () => {
    writeFileSync(join(root, 'redos.txt'), `${'a'.repeat(80)}!\n`);
    // On a backtracking engine this line takes 2^80 steps; with RE2 it is one pass.
    const result = await call(app.url, 'fs_search', { content: '^(a+)+$', regex: true, glob: 'redos.txt' });
    assert.equal(result.isError, false, result.text);
    assert.deepEqual(result.structured.matches, []);
    rmSync(join(root, 'redos.txt'));
  });

  test('fs_write: creates, refuses to overwrite unless asked, creates parents on request', T, async () => {
    const created = await call(app.url, 'fs_write', { path: 'notes/today.md', content: 'first', createParents: true });
    assert.deepEqual(created.structured, { path: 'notes/today.md', bytes: 5, created: true });
    const again = await call(app.url, 'fs_write', { path: 'notes/today.md', content: 'second' });
    assert.equal(again.isError, true);
    assert.match(again.text, /^CONFLICT: /);
    assert.equal(readFileSync(join(root, 'notes/today.md'), 'utf8'), 'first');
    await call(app.url, 'fs_write', { path: 'notes/today.md', content: 'second', overwrite: true });
    assert.equal(readFileSync(join(root, 'notes/today.md'), 'utf8'), 'second');
    const noParent = await call(app.url, 'fs_write', { path: 'nowhere/x.md', content: 'x' });
    assert.equal(noParent.isError, true);
    assert.deepEqual(readdirSync(join(root, 'notes')), ['today.md'], 'no temporary file is left behind');
  });

  test('fs_edit: a dry run returns the diff and changes nothing; then it applies; conflicts change nothing', T, async () => {
    const dry = await call(app.url, 'fs_edit', { path: 'src/main.ts', edits: [{ oldText: 'answer = 42', newText: 'answer = 43' }], dryRun: true });
    assert.match(dry.structured.diff, /-export const answer = 42;\n\+export const answer = 43;/);
    assert.equal(dry.structured.written, false);
    assert.match(readFileSync(join(root, 'src/main.ts'), 'utf8'), /42/);
    await call(app.url, 'fs_edit', { path: 'src/main.ts', edits: [{ oldText: 'answer = 42', newText: 'answer = 43' }] });
    assert.match(readFileSync(join(root, 'src/main.ts'), 'utf8'), /answer = 43/);
    const missing = await call(app.url, 'fs_edit', { path: 'src/main.ts', edits: [{ oldText: 'answer = 43', newText: 'x' }, { oldText: 'not there', newText: 'y' }] });
    assert.equal(missing.isError, true);
    assert.match(missing.text, /^CONFLICT: Edit 2: its oldText was not found/);
    assert.match(readFileSync(join(root, 'src/main.ts'), 'utf8'), /answer = 43/, 'nothing applied when one edit fails');
    const ambiguous = await call(app.url, 'fs_edit', { path: 'src/util.ts', edits: [{ oldText: 'b', newText: 'c' }] });
    assert.match(ambiguous.text, /^CONFLICT: Edit 1: .*more than once/);
  });

  test('fs_mkdir, fs_move (no overwrite unless asked), fs_delete (a symlink is removed, not its target)', T, async () => {
    assert.equal((await call(app.url, 'fs_mkdir', { path: 'archive/2026' })).structured.created, true);
    assert.equal((await call(app.url, 'fs_mkdir', { path: 'archive/2026' })).structured.created, false);
    await call(app.url, 'fs_write', { path: 'archive/a.txt', content: 'a' });
    await call(app.url, 'fs_write', { path: 'archive/b.txt', content: 'b' });
    const clash = await call(app.url, 'fs_move', { from: 'archive/a.txt', to: 'archive/b.txt' });
    assert.match(clash.text, /^CONFLICT: /);
    const moved = await call(app.url, 'fs_move', { from: 'archive/a.txt', to: 'archive/2026/a.txt' });
    assert.deepEqual(moved.structured, { from: 'archive/a.txt', to: 'archive/2026/a.txt' });
    const link = await call(app.url, 'fs_delete', { path: 'readme-link' });
    assert.equal(link.isError, false, link.text);
    assert.match(readFileSync(join(root, 'docs/readme.md'), 'utf8'), /# Project/);
    const nonEmpty = await call(app.url, 'fs_delete', { path: 'archive' });
    assert.equal(nonEmpty.isError, true);
    assert.equal((await call(app.url, 'fs_delete', { path: 'archive', recursive: true })).isError, false);
  });

  test('files are resources: file:// URIs inside the roots read; outside refused', T, async () => {
    const inside = await statelessPost(app.url, 'resources/read', { uri: pathToFileURL(join(root, 'docs/guides/setup.md')).href });
    assert.equal(inside.json.result.contents[0].text, 'Install with npm.\nThen run it.\n');
    const outside = await statelessPost(app.url, 'resources/read', { uri: 'file:///etc/passwd' });
    assert.ok(outside.json.error, 'refused');
    assert.doesNotMatch(JSON.stringify(outside.json), /root:x:0/);
  });

  test("the client's roots narrow the configured ones, and cannot widen them (both protocol eras)", T, async () => {
    const eras = [{ mode: 'legacy' }, { mode: { pin: '2026-07-28' } }] as const;
    for (const [clientRoots, readable, refused, era] of [
      [[pathToFileURL(join(root, 'docs')).href], 'docs/readme.md', 'src/main.ts', eras[0]],
      [['file:///', pathToFileURL(join(root, 'src')).href], 'src/main.ts', 'docs/readme.md', eras[0]],
      [[pathToFileURL(join(root, 'docs')).href], 'docs/readme.md', 'src/main.ts', eras[1]],
      [['file:///', pathToFileURL(join(root, 'src')).href], 'src/main.ts', 'docs/readme.md', eras[1]],
    ] as const) {
      const client = new Client({ name: 'roots-test', version: '1.0.0' }, { capabilities: { roots: {} }, versionNegotiation: era });
      client.setRequestHandler('roots/list', async () => ({ roots: clientRoots.map((uri) => ({ uri })) }));
      await client.connect(new StreamableHTTPClientTransport(new URL(app.url)), { timeout: 5_000 });
      try {
        const ok = await client.callTool({ name: 'fs_read', arguments: { path: join(root, readable) } });
        assert.equal(ok.isError, undefined, JSON.stringify(ok));
        const no = await client.callTool({ name: 'fs_read', arguments: { path: join(root, refused) } });
        assert.equal(no.isError, true, `${refused} is outside the client's roots`);
        const etc = await client.callTool({ name: 'fs_read', arguments: { path: '/etc/hostname' } });
        assert.equal(etc.isError, true, 'file:/// never widens');
      } finally {
        await client.close();
      }
    }
  });
});

describe('filesystem switches', () => {
  let root: string;
  let app: StartedMcpd;
  before(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-fs-ro-')));
    writeFileSync(join(root, 'a.txt'), 'a');
    app = await startMcpd(testConfig({ filesystem: { roots: [root], readOnly: true } }));
  });
  after(async () => {
    await app?.shutdown();
    rmSync(root, { recursive: true, force: true });
  });

  test('read-only mode serves only the reading tools; delete is off by default', T, async () => {
    const listed = await statelessPost(app.url, 'tools/list');
    const names = listed.json.result.tools.map((tool: { name: string }) => tool.name).filter((name: string) => name.startsWith('fs_')).sort();
    assert.deepEqual(names, ['fs_info', 'fs_list', 'fs_read', 'fs_read_media', 'fs_search', 'fs_tree']);
    const write = await call(app.url, 'fs_write', { path: 'b.txt', content: 'b' });
    assert.ok(write.error || write.isError);
  });

  test('a search cut short by the walk cap says truncated, not "no matches"', T, async () => {
    const deep = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-fs-cap-')));
    for (let i = 1; i <= 8; i++) mkdirSync(join(deep, `d${i}`));
    writeFileSync(join(deep, 'd8/z.txt'), 'needle');
    const capped = await startMcpd(testConfig({ filesystem: { roots: [deep], search: { maxFiles: 5 } } }));
    try {
      const { structured } = await call(capped.url, 'fs_search', { content: 'needle' });
      assert.equal(structured.truncated, true);
    } finally {
      await capped.shutdown();
      rmSync(deep, { recursive: true, force: true });
    }
  });

  test('no roots configured: no filesystem tools at all', T, async () => {
    const plain = await startMcpd(testConfig({}));
    try {
      const listed = await statelessPost(plain.url, 'tools/list');
      assert.equal(listed.json.result.tools.filter((tool: { name: string }) => tool.name.startsWith('fs_')).length, 0);
    } finally {
      await plain.shutdown();
    }
  });
});

describe('atomic writes under a crash', () => {
  test('a writer killed at random moments leaves the old content or the new, never a torn file', { timeout: 120_000 }, async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-fs-crash-')));
    try {
      const oldContent = 'old '.repeat(2 * 1024 * 1024);
      const newContent = 'new '.repeat(2 * 1024 * 1024);
      writeFileSync(join(root, 'target.txt'), oldContent);
      const script = `
        import { Sandbox } from './dist/packs/filesystem/sandbox/index.js';
        const sandbox = await Sandbox.create({ roots: [process.argv[1]], refuseHardLinks: true });
        const content = 'new '.repeat(2 * 1024 * 1024);
        process.stdout.write('ready\\n');
        for (;;) await sandbox.writeAtomic('target.txt', content, { overwrite: true, createParents: false });`;
      let sawNew = false;
      for (let round = 0; round < 12; round++) {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, root], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 60)));
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        const now = readFileSync(join(root, 'target.txt'), 'utf8');
        assert.ok(now === oldContent || now === newContent, `round ${round}: a torn file (${now.length} bytes)`);
        if (now === newContent) sawNew = true;
      }
      assert.ok(sawNew, 'at least one write completed before a kill');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
