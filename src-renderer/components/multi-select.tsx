// A compact multi-select for the filter bar: a button that names the choice, a popover
// of checkboxes with a search box when the list is long. Closes on Escape and on a
// click outside; keyboard users tab through the checkboxes.

import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

export interface Option<T extends string> {
  value: T;
  label: string;
  render?: ReactNode;
}

export function MultiSelect<T extends string>(props: {
  label: string;
  options: Option<T>[];
  selected: T[];
  onChange: (next: T[]) => void;
  emptyText?: string;
  testId?: string;
}) {
  const { label, options, selected, onChange } = props;
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const root = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open]);

  const summary =
    selected.length === 0 ? 'any' : selected.length === 1 ? (options.find((o) => o.value === selected[0])?.label ?? selected[0]) : `${selected.length} selected`;
  const q = query.trim().toLowerCase();
  const shown = q ? options.filter((o) => o.label.toLowerCase().includes(q)) : options;
  // Selected values no longer in the options (e.g. from a session link) stay removable.
  const orphans = selected.filter((v) => !options.some((o) => o.value === v));

  const toggle = (v: T) => onChange(selected.includes(v) ? selected.filter((x) => x !== v) : [...selected, v]);

  return (
    <div className="ms" ref={root} data-testid={props.testId}>
      <button
        type="button"
        className={`btn ms-button${selected.length ? ' is-active' : ''}`}
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="ms-label">{label}</span>
        <span className="ms-value">{summary}</span>
        <span className="ms-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      {open ? (
        <div className="ms-pop" id={id} role="listbox" aria-multiselectable="true" aria-label={label}>
          {options.length > 8 ? (
            <input className="input ms-search" placeholder={`Find ${label.toLowerCase()}…`} value={query} onChange={(e) => setQuery(e.target.value)} autoFocus />
          ) : null}
          <div className="ms-list">
            {shown.length === 0 && orphans.length === 0 ? <div className="ms-empty">{props.emptyText ?? 'Nothing recorded yet'}</div> : null}
            {[...orphans.map((v) => ({ value: v, label: v }) as Option<T>), ...shown].map((o) => (
              <label key={o.value} className="ms-item" role="option" aria-selected={selected.includes(o.value)}>
                <input type="checkbox" checked={selected.includes(o.value)} onChange={() => toggle(o.value)} />
                <span className="ms-item-label">{o.render ?? o.label}</span>
              </label>
            ))}
          </div>
          {selected.length ? (
            <div className="ms-foot">
              <button type="button" className="btn btn-link" onClick={() => onChange([])}>
                Clear
              </button>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
