// The timeline's filters: text search over prompts and answers (debounced),
// outcome, model, client, upstream, session and time range. Facet values come from
// requests.facets, refreshed when live traffic brings a new one.

import { forwardRef, useCallback } from 'react';
import { KindBadge } from '../../components/outcome-badge.js';
import { MultiSelect, type Option } from '../../components/multi-select.js';
import { SearchBox } from '../../components/search-box.js';
import { BADGE_ORDER, BADGES, type BadgeKind } from '../../lib/outcome.js';
import { isFilterActive, TIME_RANGES, type TimeRangeId } from '../../lib/ui-filter.js';
import { useActions, useAppShallow } from '../../stores/app-context.js';

const shortSession = (s: string): string => (s.length > 28 ? `${s.slice(0, 12)}…${s.slice(-10)}` : s);

export const FilterBar = forwardRef<HTMLInputElement>(function FilterBar(_props, searchRef) {
  const actions = useActions();
  const { filter, facets } = useAppShallow((s) => ({ filter: s.filter, facets: s.facets }));
  const search = useCallback((text: string) => actions.setFilter({ text }), [actions]);

  const outcomeOptions: Option<BadgeKind>[] = BADGE_ORDER.map((k) => ({ value: k, label: BADGES[k].label, render: <KindBadge kind={k} /> }));
  const opts = (values: string[], fmt: (v: string) => string = (v) => v): Option<string>[] => values.map((v) => ({ value: v, label: fmt(v) }));

  return (
    <>
      <SearchBox ref={searchRef} value={filter.text} onSearch={search} label="Search prompts and answers" testId="search" />
      <div className="filters" role="group" aria-label="Filters">
        <MultiSelect label="Outcome" options={outcomeOptions} selected={filter.outcomes} onChange={(outcomes) => actions.setFilter({ outcomes })} testId="filter-outcome" />
        <MultiSelect label="Model" options={opts(facets.models)} selected={filter.models} onChange={(models) => actions.setFilter({ models })} testId="filter-model" />
        <MultiSelect label="Client" options={opts(facets.clients)} selected={filter.clients} onChange={(clients) => actions.setFilter({ clients })} testId="filter-client" />
        <MultiSelect label="Upstream" options={opts(facets.upstreams)} selected={filter.upstreams} onChange={(upstreams) => actions.setFilter({ upstreams })} testId="filter-upstream" />
        <MultiSelect
          label="Session"
          options={opts(facets.sessions, shortSession)}
          selected={filter.sessions}
          onChange={(sessions) => actions.setFilter({ sessions })}
          testId="filter-session"
        />
        {isFilterActive(filter) ? (
          <button type="button" className="btn btn-link" onClick={() => actions.resetFilter()}>
            Clear
          </button>
        ) : null}
      </div>
      {filter.window ? (
        <span className="chip" data-testid="filter-window" title="Requests of an inferred session: this client, in this time span">
          {filter.window.label}
          <button type="button" className="chip-x" aria-label="Remove the session window" onClick={() => actions.setFilter({ window: null })}>
            ×
          </button>
        </span>
      ) : null}
      <label className="select-wrap range">
        <span className="visually-hidden">Time range</span>
        <select className="input select" value={filter.range} onChange={(e) => actions.setFilter({ range: e.target.value as TimeRangeId, window: null })} data-testid="filter-range">
          {TIME_RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
    </>
  );
});
