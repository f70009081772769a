// The Electron transport of the contract: one `ipcMain.handle('streamtap:<channel>')`
// per channel in CHANNELS, each a few lines over the Handlers (the API model plus
// export.run). Exposed to exactly one caller, the app's own window through the
// preload; every call first checks that it really comes from that window's main frame
// showing the app's page (an iframe, a navigated-away page or another window is
// refused), then validates its payload with the contract's dispatch(). Replies are
// always { ok, result } or { ok: false, error: { code, message } }: a thrown error
// would print main's stack in the renderer console.

import type { IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { CHANNEL_NAMES, dispatch, type ChannelName, type Handlers } from '../common/contract.js';
import type { AppUrlCheck } from './app-url.js';
import { ipcChannel, type IpcReply } from './ipc-names.js';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

/** The parts of a frame the sender check reads (WebFrameMain in Electron). */
export type SenderFrame = Pick<WebFrameMain, 'url' | 'processId' | 'routingId'>;

export interface RegisterIpcOptions {
  /** true only for the main window's main frame showing the app's page */
  isTrustedSender(frame: SenderFrame): boolean;
  /** reports handler failures to the main log; the renderer only sees { code, message } */
  onError?: (channel: ChannelName, err: unknown) => void;
}

function forbidden(channel: string): IpcReply {
  return { ok: false, error: { code: 'forbidden', message: `${channel}: this caller may not use Streamtap's API` } };
}

/** Registers every channel; returns the cleanup that removes them all. */
export function registerIpc(ipcMain: IpcMainLike, handlers: Handlers, opts: RegisterIpcOptions): () => void {
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event: IpcMainInvokeEvent, args: unknown): Promise<IpcReply> => {
      // senderFrame is null once the frame has navigated away or been destroyed.
      let frame: SenderFrame | null;
      let trusted = false;
      try {
        frame = event.senderFrame;
        trusted = frame !== null && opts.isTrustedSender(frame);
      } catch {
        trusted = false;
      }
      if (!trusted) return forbidden(name);
      try {
        const reply = await dispatch(handlers, name, args);
        if (!reply.ok && reply.error.code === 'internal') opts.onError?.(name, reply.error.message);
        return reply;
      } catch (err) {
        // dispatch() already turns handler errors into replies; this is a last guard.
        opts.onError?.(name, err);
        return { ok: false, error: { code: 'internal', message: `${name} failed` } };
      }
    });
  }
  return () => {
    for (const name of CHANNEL_NAMES) ipcMain.removeHandler(ipcChannel(name));
  };
}

export interface SenderCheckOptions {
  /** the main window's main frame, or null when there is no window */
  mainFrame(): SenderFrame | null | undefined;
  isAppUrl: AppUrlCheck;
}

/**
 * The sender check for registerIpc: the frame must be the main window's main frame
 * (same renderer process and routing id — an iframe or a second window differs) and
 * its URL must be the app's page.
 */
export function createSenderCheck(opts: SenderCheckOptions): (frame: SenderFrame) => boolean {
  return (frame) => {
    const main = opts.mainFrame();
    if (!main) return false;
    const sameFrame = frame === main || (frame.processId === main.processId && frame.routingId === main.routingId);
    return sameFrame && opts.isAppUrl(frame.url);
  };
}
