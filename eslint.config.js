// Lint enforces the layers (common < core < electron/headless), as VS Code does:
// the core runs the same under Electron and plain Node, so it may never import
// `electron`, nor the shells; the shells reach the core through createCore()'s api and
// live only (nothing outside core/ imports core/db); `common` is shared with the
// renderer, so it imports neither node:* nor electron; the renderer reaches the core
// only through the contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ELECTRON_IN_CORE = { name: 'electron', message: 'The core and headless code run in plain Node: never import electron.' };
const SQLITE_OUTSIDE_DB = { name: 'better-sqlite3', message: 'better-sqlite3 is used only in src-main/core/db.' };
const UNDICI_OUTSIDE_PROXY = { name: 'undici', message: 'undici is used only in src-main/core/proxy.' };
const CORE_UP = { group: ['**/electron/**', '**/headless/**', '**/src-renderer/**'], message: 'core may not depend on the shells (electron, headless) or the renderer.' };
const STORE_PRIVATE = { group: ['**/core/db/**'], message: 'The store is private to core/: go through createCore().api (or openReadOnlyCore().api).' };

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'http', 'https', 'net', 'os', 'crypto', 'stream', 'zlib', 'child_process', 'worker_threads'];

export default tseslint.config(
  { ignores: ['.tmp/**', 'out/**', 'node_modules/**', 'dist/**', 'test-results/**', 'playwright-report/**', '.native/**', 'src-main/core/db/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build and tooling scripts run in plain Node.
    files: ['scripts/**/*.{js,mjs}', '*.config.{js,mjs}'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The core's only public surface is createCore()'s { start, stop, api, live } (and
  // openReadOnlyCore() for the CLI's readers): the store is private to core/, and each
  // driver lives in one folder (better-sqlite3 in core/db, undici in core/proxy).
  {
    files: ['src-main/core/**/*.ts'],
    ignores: ['src-main/core/db/**', 'src-main/core/proxy/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON_IN_CORE, SQLITE_OUTSIDE_DB, UNDICI_OUTSIDE_PROXY], patterns: [CORE_UP] }],
    },
  },
  {
    files: ['src-main/core/db/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON_IN_CORE, UNDICI_OUTSIDE_PROXY], patterns: [CORE_UP] }],
    },
  },
  {
    files: ['src-main/core/proxy/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON_IN_CORE, SQLITE_OUTSIDE_DB], patterns: [CORE_UP] }],
    },
  },
  {
    files: ['src-main/headless/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [ELECTRON_IN_CORE, SQLITE_OUTSIDE_DB, UNDICI_OUTSIDE_PROXY], patterns: [{ group: ['**/electron/**', '**/src-renderer/**'], message: 'headless code may not depend on the Electron shell or the renderer.' }, STORE_PRIVATE] },
      ],
    },
  },
  {
    files: ['src-main/electron/**/*.ts', 'src-main/index.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [SQLITE_OUTSIDE_DB, UNDICI_OUTSIDE_PROXY], patterns: [{ group: ['**/headless/**'], message: 'the Electron shell does not depend on the headless CLI.' }, STORE_PRIVATE] }],
    },
  },
  {
    files: ['src-main/common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'common/ is shared with the renderer.' }, ...NODE_BUILTINS.filter((n) => !n.includes('*')).map((name) => ({ name, message: 'common/ is shared with the renderer: no Node built-ins.' }))], patterns: [{ group: ['node:*'], message: 'common/ is shared with the renderer: no Node built-ins.' }, { group: ['**/core/**', '**/electron/**', '**/headless/**'], message: 'common/ is the bottom layer.' }] }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The renderer talks to main only through the contract.' }], patterns: [{ group: ['node:*'], message: 'The renderer has no Node.' }, { group: ['**/src-main/core/**', '**/src-main/electron/**', '**/src-main/headless/**'], message: 'The renderer may import only src-main/common.' }] }],
    },
  },
);
