// The open request: its whole record and its turn's attempts. While it streams, the
// live intake merges pushed changes into it (liveDetail) and re-reads it now and then.

import type { TurnAttempts } from '../../../src-main/common/contract.js';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { errorMessage } from '../../api/streamtap-api.js';
import { mergeLive } from '../../lib/live-detail.js';
import type { RowChange } from '../../lib/rows.js';
import type { Slice, SliceContext } from './context.js';

export interface DetailState {
  id: string | null;
  record: RequestRecord | null;
  loading: boolean;
  error: string | null;
  /** every attempt of the open request's turn (its own included), for "retry of" / "retried as" */
  attempts: TurnAttempts | null;
}

export interface DetailActions {
  openDetail(id: string): void;
  closeDetail(): void;
}

export interface DetailInternal {
  /** (re-)reads the record; `quiet` keeps what is shown until the answer is in */
  loadDetail(id: string | null, quiet: boolean): Promise<void>;
  /** The open request's turn: its attempts, to link to the others. */
  loadAttempts(id: string | null): Promise<void>;
}

const CLOSED: DetailState = { id: null, record: null, loading: false, error: null, attempts: null };

/**
 * The open request while it streams: its numbers and each new event's arrival go
 * straight into the detail (the whole record is re-read less often, for its text).
 * `gap`: the pushed events skipped some, so the record must be re-read now.
 */
export function liveDetail(detail: DetailState, changes: readonly RowChange[]): { detail: DetailState; gap: boolean } {
  if (detail.id === null || detail.record?.outcome !== 'in_progress') return { detail, gap: false };
  let record = detail.record;
  let gap = false;
  for (const c of changes) {
    if (c.summary.id !== detail.id || c.kind === 'finished') continue;
    const merged = mergeLive(record, c.summary, c.ticks);
    record = merged.record;
    gap ||= merged.gap;
  }
  return { detail: record !== detail.record ? { ...detail, record } : detail, gap };
}

export function createDetailSlice(ctx: SliceContext): Slice<{ detail: DetailState }, DetailActions, DetailInternal> {
  const { api, get, set } = ctx;
  let detailSeq = 0;
  let attemptsSeq = 0;

  const internal: DetailInternal = {
    async loadDetail(id, quiet) {
      if (id === null) return;
      const seq = ++detailSeq;
      if (!quiet) set({ detail: { id, record: null, loading: true, error: null, attempts: null } });
      try {
        const record = await api.call('requests.get', { id });
        if (seq !== detailSeq || get().detail.id !== id) return;
        set({ detail: { ...get().detail, id, record, loading: false, error: record ? null : 'This request is no longer in the database.' } });
      } catch (err) {
        if (seq !== detailSeq || get().detail.id !== id) return;
        set({ detail: { ...get().detail, loading: false, error: errorMessage(err) } });
      }
    },

    async loadAttempts(id) {
      if (id === null) return;
      const seq = ++attemptsSeq;
      try {
        const attempts = await api.call('requests.attempts', { id });
        if (seq !== attemptsSeq || get().detail.id !== id) return;
        set({ detail: { ...get().detail, attempts } });
      } catch {
        // the links are a convenience: the detail stands without them
      }
    },
  };

  const actions: DetailActions = {
    openDetail(id) {
      set({ selectedId: id, detail: { id, record: null, loading: true, error: null, attempts: null } });
      void internal.loadDetail(id, false);
      void internal.loadAttempts(id);
    },

    closeDetail() {
      detailSeq++;
      attemptsSeq++;
      set({ detail: CLOSED });
    },
  };

  return { initial: { detail: CLOSED }, actions, internal };
}
