// Lint enforces the layers (common < core < electron/headless), as VS Code does:
// the core runs the same under Electron and plain Node, so it may never import
// `electron`; `common` is shared with the renderer, so it imports neither node:* nor
// electron; the renderer reaches the core only through the contract.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    files: ['src-main/core/**/*.ts', 'src-main/headless/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The core and headless code run in plain Node: never import electron.' }], patterns: [{ group: ['**/electron/**', '**/src-renderer/**'], message: 'core may not depend on the Electron shell or the renderer.' }] }],
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
