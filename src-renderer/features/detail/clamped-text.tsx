import { useState } from 'react';

/** Long text shown in part until asked: a 200 kB tool result must not stall the panel. */
export function ClampedText({ text, limit = 6000, className = 'pre' }: { text: string; limit?: number; className?: string }) {
  const [all, setAll] = useState(false);
  const cut = !all && text.length > limit;
  return (
    <div className={className}>
      {cut ? text.slice(0, limit) : text}
      {cut ? (
        <button type="button" className="btn btn-link more" onClick={() => setAll(true)}>
          … show {(text.length - limit).toLocaleString('en-US')} more characters
        </button>
      ) : null}
    </div>
  );
}
