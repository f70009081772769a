// The one client interface the renderer uses, whatever carries it: IPC in the Electron
// window, HTTP + server-sent events in a browser against the headless server (mockttp's
// getLocal/getRemote idea). Features call `api.call(channel, args)` and
// `api.subscribe(listener)` from the contract and never know which transport is below.

import type { ApiError, StreamtapApi } from '../../src-main/common/contract.js';

/** `refused`: the server no longer accepts this tab's dashboard token; nothing is retried. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'failed' | 'refused';

export interface RendererApi extends StreamtapApi {
  readonly transport: 'ipc' | 'http';
  /** the live channel's state; IPC is always open. Returns the unsubscribe function. */
  onConnection(listener: (state: ConnectionState, detail?: string) => void): () => void;
}

/** A failed call, with the contract's error code. */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    readonly code: ApiError['code'] | 'network' | 'unauthorized',
    message: string,
  ) {
    super(message);
  }
}

/** One line a person can read, from whatever a call threw. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}
