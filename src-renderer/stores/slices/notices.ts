// A short-lived message (copied, saved, a failed call).

import type { Slice, SliceContext } from './context.js';

export interface Notice {
  text: string;
  tone: 'ok' | 'bad';
}

export interface NoticesActions {
  notify(text: string, tone?: 'ok' | 'bad'): void;
}

export function createNoticesSlice(ctx: SliceContext): Slice<{ notice: Notice | null }, NoticesActions, { stop(): void }> {
  let noticeTimer: ReturnType<typeof setTimeout> | null = null;
  const actions: NoticesActions = {
    notify(text, tone = 'ok') {
      if (noticeTimer) clearTimeout(noticeTimer);
      ctx.set({ notice: { text, tone } });
      noticeTimer = setTimeout(() => ctx.set({ notice: null }), tone === 'bad' ? 6000 : 2500);
    },
  };
  return {
    initial: { notice: null },
    actions,
    internal: {
      stop() {
        if (noticeTimer) clearTimeout(noticeTimer);
      },
    },
  };
}
