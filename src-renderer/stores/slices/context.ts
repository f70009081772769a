import type { RendererApi } from '../../api/streamtap-api.js';
import type { AppActions, AppState } from '../app-store.js';
import type { Prefs, Scheduler } from '../platform.js';

/** What every slice is made with: the one store's get/set and every action (its own and the others'). */
export interface SliceContext {
  api: RendererApi;
  get(): AppState;
  set(patch: Partial<AppState>): void;
  scheduler: Scheduler;
  prefs: Prefs;
  /** all the app's actions; called only after the store is made */
  actions(): AppActions;
}

/** A slice: its part of the initial state, its actions, and what it lends the others. */
export interface Slice<S, A, I = object> {
  initial: S;
  actions: A;
  internal: I;
}
