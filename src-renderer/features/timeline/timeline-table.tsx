// The virtualised timeline: only the rows in view (plus overscan) are in the DOM, so
// 100,000 loaded rows scroll like 50. Older pages load as the end comes into view
// (keyset cursor, requests.list `before`).

import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef } from 'react';
import { useActions, useAppShallow } from '../../stores/app-context.js';
import { isFilterActive } from '../../lib/ui-filter.js';
import { ROW_HEIGHT, TimelineRow } from './timeline-row.js';

const LOAD_AHEAD = 40;

export function TimelineTable() {
  const actions = useActions();
  const { rows, selectedId, hasMore, loading, listError, filterActive } = useAppShallow((s) => ({
    rows: s.rows,
    selectedId: s.selectedId,
    hasMore: s.hasMore,
    loading: s.loading,
    listError: s.listError,
    filterActive: isFilterActive(s.filter),
  }));
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]?.id ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (hasMore && !loading && rows.length > 0 && lastIndex >= rows.length - LOAD_AHEAD) void actions.loadMore();
  }, [lastIndex, rows.length, hasMore, loading, actions]);

  // Keep the keyboard selection in view.
  useEffect(() => {
    if (selectedId === null) return;
    const i = rows.findIndex((r) => r.id === selectedId);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' });
    // rows is left out on purpose: a live insert must not yank the view back to the selection
  }, [selectedId]);

  const onOpen = useCallback((id: string) => actions.openDetail(id), [actions]);

  return (
    <div className="table" role="grid" aria-label="Requests, newest first" aria-rowcount={rows.length + 1}>
      <div className="thead" role="row" aria-rowindex={1}>
        <span className="cell col-time" role="columnheader">
          Time
        </span>
        <span className="cell col-client" role="columnheader">
          Client
        </span>
        <span className="cell col-model" role="columnheader">
          Model
        </span>
        <span className="cell col-api" role="columnheader">
          API
        </span>
        <span className="cell col-outcome" role="columnheader">
          Outcome
        </span>
        <span className="cell num col-in" role="columnheader" title="Input tokens">
          In
        </span>
        <span className="cell num col-out" role="columnheader" title="Output tokens; ~ marks an estimate">
          Out
        </span>
        <span className="cell num col-ttft" role="columnheader" title="Time to first token">
          TTFT
        </span>
        <span className="cell num col-dur" role="columnheader">
          Duration
        </span>
        <span className="cell num col-tps" role="columnheader" title="Output tokens per second after the first token">
          Tok/s
        </span>
      </div>
      <div className={`tbody${loading && rows.length === 0 ? ' is-loading' : ''}`} ref={scroller} tabIndex={-1} data-testid="timeline-body">
        <div className="tbody-inner" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((it) => {
            const row = rows[it.index];
            if (!row) return null;
            return <TimelineRow key={row.id} row={row} index={it.index} top={it.start} selected={row.id === selectedId} onOpen={onOpen} />;
          })}
        </div>
        {rows.length === 0 && !loading ? (
          <div className="empty">
            {listError ? (
              <>
                <div className="empty-title">Could not load requests</div>
                <div className="empty-text">{listError}</div>
                <button type="button" className="btn" onClick={() => void actions.reload()}>
                  Try again
                </button>
              </>
            ) : filterActive ? (
              <>
                <div className="empty-title">No request matches these filters</div>
                <button type="button" className="btn" onClick={() => actions.resetFilter()}>
                  Clear filters
                </button>
              </>
            ) : (
              <>
                <div className="empty-title">No requests recorded yet</div>
                <div className="empty-text">Point a tool at Streamtap and its requests appear here as they stream.</div>
                <button type="button" className="btn" onClick={() => actions.setView('setup')}>
                  Set up a tool
                </button>
              </>
            )}
          </div>
        ) : null}
        {rows.length > 0 && listError ? <div className="list-foot bad">{listError}</div> : null}
        {rows.length > 0 && loading && hasMore ? <div className="list-foot">Loading older requests…</div> : null}
      </div>
    </div>
  );
}
