import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUpTo } from './read-limited.js';

test('reads at most the limit, says whether more was there, even when the file grew after it was opened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-read-limited-'));
  try {
    const file = join(dir, 'f');
    writeFileSync(file, 'x'.repeat(10));
    const handle = await open(file);
    try {
      appendFileSync(file, 'y'.repeat(200_000));
      const capped = await readUpTo(handle, 100_000);
      assert.equal(capped.bytes.length, 100_000);
      assert.equal(capped.more, true);
    } finally {
      await handle.close();
    }
    const exact = await open(file);
    try {
      assert.deepEqual(await readUpTo(exact, 200_010).then((r) => [r.bytes.length, r.more]), [200_010, false]);
    } finally {
      await exact.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
