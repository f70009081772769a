import { fileURLToPath } from 'node:url';

/**
 * out/renderer at the repo root. This file (src-main/headless/) and the CLI bundle it is
 * built into (out/cli/streamtap.js) both sit two folders below the root, so one relative
 * URL serves both; it lives here, not in dashboard/, for that reason.
 */
export function defaultRendererDir(): string {
  return fileURLToPath(new URL('../../out/renderer/', import.meta.url));
}
