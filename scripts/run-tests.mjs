// Runs every *.test.ts under src/ and test/ with node's test runner (tsx loads TypeScript).
// Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, found = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, found);
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
const files = ['src', 'test'].flatMap((dir) => collect(dir)).filter((file) => filter.length === 0 || filter.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=60000', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
