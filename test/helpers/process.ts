/**
 * Child processes for chassis tests: the bundled CLI or the test entry script,
 * with their stdout/stderr split into lines (JSON log lines parsed), waiting for
 * a line, and a bounded wait for exit. Every child is killed in `killAll()`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist', 'bin', 'mcpd.js');
export const ENTRY = join(ROOT, 'test', 'helpers', 'mcpd-entry.ts');

export interface Line {
  text: string;
  json: any;
}

export interface Child {
  proc: ChildProcessWithoutNullStreams;
  stdout: Line[];
  stderr: Line[];
  /** Raw output, for "never printed" checks. */
  raw(): { stdout: string; stderr: string };
  /** Resolves with the first line (already seen or future) matching; rejects after `timeoutMs`. */
  waitForLine(stream: 'stdout' | 'stderr', match: (line: Line) => boolean, timeoutMs?: number, what?: string): Promise<Line>;
  /** Resolves with the exit code (or signal name) and when it happened. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children = new Set<ChildProcessWithoutNullStreams>();

function parse(text: string): any {
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function spawnChild(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Child {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  // The test runner's own settings must not leak into the child.
  delete env.NODE_TEST_CONTEXT;
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const proc = spawn(process.execPath, args, { cwd: options.cwd ?? ROOT, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(proc);
  const lines = { stdout: [] as Line[], stderr: [] as Line[] };
  const raw = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; match: (line: Line) => boolean; resolve: (line: Line) => void }[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    proc[stream].setEncoding('utf8');
    proc[stream].on('data', (chunk: string) => {
      raw[stream] += chunk;
      partial += chunk;
      let cut: number;
      while ((cut = partial.indexOf('\n')) !== -1) {
        const text = partial.slice(0, cut);
        partial = partial.slice(cut + 1);
        const line = { text, json: parse(text) };
        lines[stream].push(line);
        for (const waiter of [...waiters]) {
          if (waiter.stream === stream && waiter.match(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolveExit) => {
    // 'close', not 'exit': 'exit' can fire before the last stdout/stderr data has been read.
    proc.once('close', (code, signal) => {
      children.delete(proc);
      resolveExit({ code, signal, at: performance.now() });
    });
  });
  return {
    proc,
    stdout: lines.stdout,
    stderr: lines.stderr,
    raw: () => ({ ...raw }),
    exited,
    waitForLine(stream, match, timeoutMs = 8_000, what = 'a matching line') {
      const seen = lines[stream].find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise<Line>((resolveLine, reject) => {
        const waiter = {
          stream,
          match,
          resolve: (line: Line) => {
            clearTimeout(timer);
            resolveLine(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for ${what} on ${stream}; stdout:\n${raw.stdout}\nstderr:\n${raw.stderr}`));
        }, timeoutMs);
        waiters.push(waiter);
        void exited.then(() => {
          // Give the last chunks a moment to be parsed, then give up.
          setTimeout(() => {
            if (waiters.includes(waiter)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              clearTimeout(timer);
              reject(new Error(`process exited before ${what} on ${stream}; stdout:\n${raw.stdout}\nstderr:\n${raw.stderr}`));
            }
          }, 100);
        });
      });
    },
  };
}

/** Waits for exit, at most `timeoutMs`. */
export async function waitExit(child: Child, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      child.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every child still running (after()). */
export function killAll(): void {
  for (const proc of children) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
  children.clear();
}

/** Runs the bundled CLI to completion (short commands); asynchronous so tests can run side by side. */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null }> {
  const child = spawnChild([CLI, ...args], { env: options.env, cwd: options.cwd });
  child.proc.stdin.end();
  const exit = await waitExit(child, options.timeoutMs ?? 10_000);
  const { stdout, stderr } = child.raw();
  return { code: exit.code, stdout, stderr, signal: exit.signal };
}

/** The `url` of the `mcpd started` JSON log line. */
export async function startedUrl(child: Child, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 10_000): Promise<string> {
  const line = await child.waitForLine(stream, (l) => l.json?.msg === 'mcpd started', timeoutMs, "the 'mcpd started' log line");
  return line.json.url as string;
}
