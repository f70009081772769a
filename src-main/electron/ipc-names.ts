// The IPC channel names and reply shape shared by main (ipc.ts) and the preload. Kept
// free of imports with side effects so the sandboxed preload can bundle it.

import type { dispatch } from '../common/contract.js';

/** Every contract channel `x.y` is the IPC channel `streamtap:x.y`; the prefix keeps
 * Streamtap's channels apart from anything Electron or a library registers. */
export const IPC_PREFIX = 'streamtap:';

export function ipcChannel(name: string): string {
  return IPC_PREFIX + name;
}

/** What every `streamtap:*` invoke resolves to: never a thrown error (a throw would
 * print main's stack in the renderer console). */
export type IpcReply = Awaited<ReturnType<typeof dispatch>>;
