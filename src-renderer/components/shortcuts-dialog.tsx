// "?" : every keyboard shortcut, in a modal dialog (Esc, "?" or a click outside closes
// it). The list is the one place the keys are named for people.

import { useEffect, useRef } from 'react';

export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['/'], what: 'Search prompts and answers' },
  { keys: ['j', '↓'], what: 'Next request' },
  { keys: ['k', '↑'], what: 'Previous request' },
  { keys: ['Enter'], what: 'Open the selected request' },
  { keys: ['→', '←'], what: 'Retries folded: show or hide the attempts of the selected turn' },
  { keys: ['j', 'k'], what: 'Sessions: next or previous session' },
  { keys: ['Enter'], what: 'Sessions: open the request that ended the selected one' },
  { keys: ['Esc'], what: 'Close the detail (or this list)' },
  { keys: ['1'], what: 'Detail: Response tab' },
  { keys: ['2'], what: 'Detail: Request tab' },
  { keys: ['3'], what: 'Detail: Raw tab' },
  { keys: ['?'], what: 'Show or hide these shortcuts' },
];

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    d.showModal();
    const onCancel = (e: Event) => {
      // Esc: close through React's state, so "?" and Esc agree on what is open.
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', onCancel);
    return () => {
      d.removeEventListener('cancel', onCancel);
      if (d.open) d.close();
    };
  }, [onClose]);
  return (
    <dialog
      ref={dialog}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts"
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === '?') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="shortcuts-body">
        <div className="shortcuts-head">
          <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          <button type="button" className="btn btn-icon" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </div>
        <dl className="shortcuts-list">
          {SHORTCUTS.map((s) => (
            <div key={s.what} className="shortcut">
              <dt>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i ? <span className="faint"> or </span> : null}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
      </div>
    </dialog>
  );
}
