// React access to the one app store: a context carries the App made at startup (so
// tests or a second window could make their own), hooks select slices of it.

import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { App, AppActions, AppState } from './app-store.js';

export const AppContext = createContext<App | null>(null);

export function useApp(): App {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp() outside <AppContext.Provider>');
  return app;
}

export function useActions(): AppActions {
  return useApp().actions;
}

/** A slice of the state; re-renders only when the selected value changes (Object.is). */
export function useAppState<T>(selector: (s: AppState) => T): T {
  return useStore(useApp().store, selector);
}

/** A slice made of several fields; compared shallowly. */
export function useAppShallow<T extends object>(selector: (s: AppState) => T): T {
  return useStore(useApp().store, useShallow(selector));
}
