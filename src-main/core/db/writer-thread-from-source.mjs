// Starts the store's writer thread from the TypeScript sources (tests, `tsx` scripts),
// where no built writer-thread.js sits beside write-executor.ts. A worker does not
// inherit the parent's tsx hooks, and on Node 20 `--import tsx` in a worker's execArgv
// registers them only after the worker's own entry was loaded: so this plain module
// registers tsx on the thread first, then imports the real one.

import { register } from 'tsx/esm/api';

register();
await import('./writer-thread.ts');
