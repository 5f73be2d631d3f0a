import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, mkdtemp, open, realpath, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atPath, kernelPathOf, LOCATE_FLAGS, O_NOFOLLOW, O_PATH, probeProcFd } from './proc-fd.js';

let base: string;
before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'mcpd-procfd-')));
});
after(async () => rm(base, { recursive: true, force: true }));

test('the probe accepts this Linux /proc', async () => {
  await probeProcFd();
});

test('kernelPathOf follows renames and reports deleted files as undefined', async () => {
  await writeFile(join(base, 'a.txt'), 'a');
  const handle = await open(join(base, 'a.txt'), 'r');
  try {
    assert.equal((await kernelPathOf(handle))?.toString(), join(base, 'a.txt'));
    await rename(join(base, 'a.txt'), join(base, 'b.txt'));
    assert.equal((await kernelPathOf(handle))?.toString(), join(base, 'b.txt'));
    await unlink(join(base, 'b.txt'));
    assert.equal(await kernelPathOf(handle), undefined);
  } finally {
    await handle.close();
  }
});

test('a file really named "x (deleted)" is not mistaken for a deleted one; a removed extra link is', async () => {
  const named = join(base, 'x (deleted)');
  await writeFile(named, 'x');
  const handle = await open(named, 'r');
  try {
    assert.equal((await kernelPathOf(handle))?.toString(), named);
  } finally {
    await handle.close();
  }
  await writeFile(join(base, 'one'), '1');
  await link(join(base, 'one'), join(base, 'two'));
  const viaTwo = await open(join(base, 'two'), 'r');
  try {
    await unlink(join(base, 'two'));
    assert.equal(await kernelPathOf(viaTwo), undefined, 'the name it was opened by is gone');
  } finally {
    await viaTwo.close();
  }
});

test('O_PATH locates without opening: no read access, no blocking on a FIFO', { skip: O_PATH === 0 }, async () => {
  execFileSync('mkfifo', [join(base, 'fifo')]);
  const dir = await open(base, LOCATE_FLAGS);
  try {
    const fifo = await open(atPath(dir.fd, 'fifo'), LOCATE_FLAGS | O_NOFOLLOW);
    try {
      assert.ok((await fifo.stat()).isFIFO());
      await assert.rejects(fifo.read(Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
    } finally {
      await fifo.close();
    }
  } finally {
    await dir.close();
  }
});
