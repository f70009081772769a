// The dashboard shell: top bar, status banners, the current view, and the request
// detail beside it. Owns the keyboard: ↑/↓ or j/k move the selection, Enter opens it,
// Esc closes the detail, "/" jumps to search, "?" lists every shortcut (the detail's
// own keys, 1/2/3 for its tabs, live in the detail). With retries folded, → and ← open
// and close the selected row's turn. In the sessions view the same keys move between
// sessions, and Enter opens the request that ended the selected one.

import { useEffect, useRef, useState } from 'react';
import { isTypingTarget } from './components/dom.js';
import { ShortcutsDialog } from './components/shortcuts-dialog.js';
import { StatusBanner } from './components/status-banner.js';
import { TopBar } from './components/top-bar.js';
import { DetailPanel } from './features/detail/detail-panel.js';
import { SessionsView } from './features/sessions/sessions-view.js';
import { SettingsView } from './features/settings/settings-view.js';
import { SetupView } from './features/setup/setup-view.js';
import { ExportJobs } from './features/timeline/export-controls.js';
import { TimelineView } from './features/timeline/timeline-view.js';
import { useApp, useAppShallow } from './stores/app-context.js';

export function App() {
  const { actions, store } = useApp();
  const { view, detailOpen, notice } = useAppShallow((s) => ({ view: s.view, detailOpen: s.detail.id !== null, notice: s.notice }));
  const search = useRef<HTMLInputElement>(null);
  const sessionsSearch = useRef<HTMLInputElement>(null);
  const [help, setHelp] = useState(false);
  // Read by the key handler: while the list is open, it owns the keyboard.
  const helpOpen = useRef(false);
  helpOpen.current = help;

  useEffect(() => actions.start(), [actions]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || helpOpen.current) return;
      const s = store.getState();
      if (e.key === '?' && !isTypingTarget(e.target)) {
        e.preventDefault();
        setHelp((h) => !h);
        return;
      }
      if (e.key === 'Escape') {
        if (isTypingTarget(e.target)) return;
        if (s.detail.id !== null) {
          e.preventDefault();
          actions.closeDetail();
        }
        return;
      }
      if (isTypingTarget(e.target)) return;
      // Buttons and links keep Enter for themselves.
      const onControl = e.target instanceof HTMLElement && (e.target.tagName === 'BUTTON' || e.target.tagName === 'A' || e.target.tagName === 'SUMMARY');
      if (s.view === 'sessions') {
        switch (e.key) {
          case '/':
            e.preventDefault();
            sessionsSearch.current?.focus();
            sessionsSearch.current?.select();
            break;
          case 'ArrowDown':
          case 'j':
            e.preventDefault();
            actions.moveSessionSelection(1);
            break;
          case 'ArrowUp':
          case 'k':
            e.preventDefault();
            actions.moveSessionSelection(-1);
            break;
          case 'Enter': {
            if (onControl) return;
            const ended = s.session.detail?.ending.recordId ?? null;
            if (ended !== null) {
              e.preventDefault();
              actions.openDetail(ended);
            }
            break;
          }
        }
        return;
      }
      if (s.view !== 'timeline') return;
      switch (e.key) {
        case '/':
          e.preventDefault();
          search.current?.focus();
          search.current?.select();
          break;
        case 'ArrowDown':
        case 'j':
          e.preventDefault();
          actions.moveSelection(1);
          break;
        case 'ArrowUp':
        case 'k':
          e.preventDefault();
          actions.moveSelection(-1);
          break;
        case 'Enter':
          if (onControl) return;
          if (s.selectedId !== null) {
            e.preventDefault();
            actions.openDetail(s.selectedId);
          }
          break;
        case 'ArrowRight':
        case 'ArrowLeft': {
          const row = s.foldRetries && s.selectedId !== null ? s.rows.find((r) => r.id === s.selectedId) : undefined;
          if (!row) return;
          e.preventDefault();
          actions.toggleTurn(row.turnId, e.key === 'ArrowRight');
          break;
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions, store]);

  const showDetail = detailOpen && (view === 'timeline' || view === 'sessions');
  return (
    <div className="app">
      <TopBar />
      <StatusBanner />
      <main className={`main${showDetail ? ' has-detail' : ''}`}>
        <div className="view">
          {view === 'timeline' ? <TimelineView ref={search} /> : view === 'sessions' ? <SessionsView ref={sessionsSearch} /> : view === 'setup' ? <SetupView /> : <SettingsView />}
        </div>
        {showDetail ? <DetailPanel /> : null}
      </main>
      <ExportJobs />
      {help ? <ShortcutsDialog onClose={() => setHelp(false)} /> : null}
      {notice ? (
        <div className={`notice${notice.tone === 'bad' ? ' is-bad' : ''}`} role="status">
          {notice.text}
        </div>
      ) : null}
    </div>
  );
}
