import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'results/', 'coverage/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Which way dependencies flow (docs/architecture.md): the engine and the chassis never reach a tool pack
  // or the application that assembles them; packs reach the engine only through api/ and the chassis.
  {
    files: ['src/{protocol,transports,chassis,api,security,observability}/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/packs/**', '**/app/**'], message: 'The engine and the chassis do not depend on tool packs or the application (compose in src/app/).' }] }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/packs/**', '**/app/**', '**/transports/**'], message: 'The protocol engine knows no transport, pack or application.' },
            { group: ['pg', 'pg-*', '@electric-sql/*', 'undici', 'redis', 'pgsql-parser'], message: 'The protocol engine knows nothing of databases or HTTP clients.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/packs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/protocol/**', '**/transports/**', '**/app/**'], message: 'Tool packs use the tool API (src/api/) and the chassis, never the engine, a transport or the application.' }] }],
    },
  },
);
