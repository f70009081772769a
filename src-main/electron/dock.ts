// macOS: the Dock icon follows the window. A tray app that keeps a Dock icon while only
// its menu-bar icon is in use looks like a window got lost (and in development the icon
// says "Electron"); so the icon shows while the dashboard window is visible and hides
// with it. Other platforms have no Dock: nothing to do.

import type { Dock } from 'electron';

export type DockLike = Pick<Dock, 'show' | 'hide'>;

/** Returns the function the window calls on show and hide. */
export function createDockPolicy(dock: DockLike | undefined, onError?: (err: unknown) => void): (windowVisible: boolean) => void {
  if (!dock) return () => {};
  let shown: boolean | null = null;
  return (visible) => {
    if (visible === shown) return;
    shown = visible;
    if (visible) dock.show().catch((err: unknown) => onError?.(err));
    else dock.hide();
  };
}
