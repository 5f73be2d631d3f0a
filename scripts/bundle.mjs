// Bundles the executables (the mcpd CLI and the two fixtures) into single files
// under dist/bin/. Loading one file instead of a few hundred ESM modules (zod
// alone is most of them) halves stdio cold start; the library build in dist/
// stays unbundled for importers.
import { build } from 'esbuild';

await build({
  entryPoints: {
    mcpd: 'src/cli.ts',
    'echo-server': 'src/fixtures/echo-server.ts',
    'conformance-server': 'src/fixtures/conformance-server.ts',
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
  // ws's optional native accelerators; Ajv is loaded on demand with require().
  external: ['bufferutil', 'utf-8-validate', 'ajv'],
  banner: { js: "import { createRequire as __mcpdCreateRequire } from 'node:module'; const require = __mcpdCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
