// Bundles the executables (the mcpd CLI, the fixtures, the embedded database's worker and the file scanner thread) into single files
// under dist/bin/. Loading one file instead of a few hundred ESM modules (zod
// alone is most of them) halves stdio cold start; the library build in dist/
// stays unbundled for importers.
import { build } from 'esbuild';

await build({
  entryPoints: {
    mcpd: 'src/cli.ts',
    'echo-server': 'src/fixtures/echo-server.ts',
    'echo-chassis-server': 'src/fixtures/echo-chassis-server.ts',
    'conformance-server': 'src/fixtures/conformance-server.ts',
    // The embedded database's thread and initialisation process start from their own file.
    'pglite-worker': 'src/packs/database/embedded/worker.ts',
    // So do the filesystem pack's scanner threads (fs_search).
    'fs-scan-worker': 'src/packs/filesystem/sandbox/scan-worker.ts',
  },
  outdir: 'dist/bin',
  // Shared code and on-demand parts (the HTTP transport, WebSocket) go to chunks loaded when used.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  minify: true,
  // ws's optional native accelerators; Ajv is loaded on demand with require(); pino starts worker
  // threads from its own files and OpenTelemetry's SDK is loaded only when tracing is on: all of
  // these stay in node_modules.
  external: ['bufferutil', 'utf-8-validate', 'ajv', 'pg', 'pg-native', 'libpg-query', '@electric-sql/pglite', 'pino', 'pino-pretty', 'thread-stream', 'prom-client', '@opentelemetry/*'],
  banner: { js: "import { createRequire as __mcpdCreateRequire } from 'node:module'; const require = __mcpdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
