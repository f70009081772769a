// The search box of the timeline and of the sessions view: typing is debounced, Enter
// searches at once, Escape leaves the box, and an outside change (Clear, a session
// link) resets what it shows. "/" focuses it (the caller holds the ref).

import { forwardRef, useEffect, useState } from 'react';

const SEARCH_DEBOUNCE_MS = 300;

interface SearchBoxProps {
  /** the text the filter holds now */
  value: string;
  /** called with the text to search for (debounced while typing) */
  onSearch: (text: string) => void;
  label: string;
  testId: string;
}

export const SearchBox = forwardRef<HTMLInputElement, SearchBoxProps>(function SearchBox({ value, onSearch, label, testId }, ref) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => onSearch(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, value, onSearch]);
  return (
    <div className="search" role="search">
      <span className="search-icon" aria-hidden="true">
        ⌕
      </span>
      <input
        ref={ref}
        className="input search-input"
        type="search"
        placeholder={label}
        aria-label={label}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onSearch(text);
          if (e.key === 'Escape') (e.target as HTMLInputElement).blur();
        }}
        data-testid={testId}
      />
      <kbd className="search-kbd" aria-hidden="true">
        /
      </kbd>
    </div>
  );
});
