// The virtualised timeline: only the rows in view (plus overscan) are in the DOM, so
// 100,000 loaded rows scroll like 50. Older pages load as the end comes into view
// (keyset cursor, requests.list `before`). Time, TTFT, duration and token columns sort
// (lib/sort.ts); when rows span more than one day, every row shows its date. With
// "Fold retries" on, a turn's attempts fold into one row with "×N" (lib/fold.ts).

import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useActions, useAppShallow } from '../../stores/app-context.js';
import { spansDays } from '../../lib/format.js';
import { timelineRows } from '../../lib/fold.js';
import { nextSort, SORT_LOAD_CAP, type Sort, type SortKey } from '../../lib/sort.js';
import { isFilterActive } from '../../lib/ui-filter.js';
import { countOf } from '../../lib/words.js';
import { ROW_HEIGHT, TimelineRow } from './timeline-row.js';

function SortHeader({ k, sort, onSort, className, title, children }: { k: SortKey; sort: Sort; onSort: (k: SortKey) => void; className: string; title?: string; children: ReactNode }) {
  const active = sort.key === k;
  return (
    <span className={`cell ${className}`} role="columnheader" aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className={`th-sort${active ? ' is-active' : ''}`} onClick={() => onSort(k)} title={title ? `${title} — click to sort` : 'Click to sort'} data-testid={`sort-${k}`}>
        {children}
        <span className="th-arrow" aria-hidden="true">
          {active ? (sort.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </span>
  );
}

const LOAD_AHEAD = 40;

export function TimelineTable() {
  const actions = useActions();
  const { rows, sort, fold, expanded, selectedId, hasMore, loading, listError, filterActive } = useAppShallow((s) => ({
    rows: s.rows,
    sort: s.sort,
    fold: s.foldRetries,
    expanded: s.expandedTurns,
    selectedId: s.selectedId,
    hasMore: s.hasMore,
    loading: s.loading,
    listError: s.listError,
    filterActive: isFilterActive(s.filter),
  }));
  const { rows: shown, folds } = useMemo(() => timelineRows(rows, sort, fold, expanded), [rows, sort, fold, expanded]);
  const withDates = useMemo(() => spansDays(rows), [rows]);
  const sorted = sort.key !== 'time';
  const onSort = useCallback((k: SortKey) => actions.setSort(nextSort(sort, k)), [actions, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => shown[i]?.id ?? i,
  });
  const virtual = virtualizer.getVirtualItems();
  const lastIndex = virtual.length ? virtual[virtual.length - 1]!.index : -1;

  useEffect(() => {
    if (!sorted && hasMore && !loading && shown.length > 0 && lastIndex >= shown.length - LOAD_AHEAD) void actions.loadMore();
  }, [lastIndex, shown.length, hasMore, loading, actions, sorted]);

  // Keep the keyboard selection in view.
  useEffect(() => {
    if (selectedId === null) return;
    const i = shown.findIndex((r) => r.id === selectedId);
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' });
    // shown is left out on purpose: a live insert must not yank the view back to the selection
  }, [selectedId]);

  const onOpen = useCallback((id: string) => actions.openDetail(id), [actions]);
  const onToggle = useCallback((turnId: string) => actions.toggleTurn(turnId), [actions]);

  return (
    <div
      className={`table${withDates ? ' has-dates' : ''}${fold ? ' is-folded' : ''}`}
      role="grid"
      aria-label={`${sorted ? 'Requests, sorted' : 'Requests, newest first'}${fold ? ', retries folded under their turn' : ''}`}
      aria-rowcount={shown.length + 1}
    >
      <div className="thead" role="row" aria-rowindex={1}>
        <SortHeader k="time" sort={sort} onSort={onSort} className="col-time" title="When the request arrived">
          Time
        </SortHeader>
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
        <span className="cell col-err" role="columnheader" title="For a failed request: its HTTP status and the first words of the error">
          Error
        </span>
        <SortHeader k="in" sort={sort} onSort={onSort} className="num col-in" title="Input tokens">
          In
        </SortHeader>
        <SortHeader k="out" sort={sort} onSort={onSort} className="num col-out" title="Output tokens; ~ marks an estimate">
          Out
        </SortHeader>
        <SortHeader k="ttft" sort={sort} onSort={onSort} className="num col-ttft" title="Time to first token">
          TTFT
        </SortHeader>
        <SortHeader k="duration" sort={sort} onSort={onSort} className="num col-dur" title="Duration">
          Duration
        </SortHeader>
        <span className="cell num col-tps" role="columnheader" title="Output tokens per second after the first token">
          Tok/s
        </span>
      </div>
      <div className={`tbody${loading && rows.length === 0 ? ' is-loading' : ''}`} ref={scroller} tabIndex={-1} data-testid="timeline-body">
        <div className="tbody-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtual.map((v) => {
            const row = shown[v.index];
            if (!row) return null;
            const mark = folds?.get(row.id);
            return (
              <TimelineRow
                key={row.id}
                row={row}
                index={v.index}
                top={v.start}
                selected={row.id === selectedId}
                onOpen={onOpen}
                withDate={withDates}
                attempts={mark?.attempts ?? 1}
                expanded={mark?.expanded ?? false}
                nested={mark?.nested ?? false}
                onToggle={onToggle}
              />
            );
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
        {sorted && hasMore && !loading && rows.length >= SORT_LOAD_CAP ? (
          <div className="list-foot" data-testid="sort-cap">
            Sorted among the newest {countOf(rows.length, 'request')}; narrow the filter to sort the rest.
          </div>
        ) : null}
      </div>
    </div>
  );
}
