// The top bar: views, the live count, recording on/off, and the connection state.

import type { View } from '../stores/app-store.js';
import { useActions, useAppShallow } from '../stores/app-context.js';

const VIEWS: { id: View; label: string }[] = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'setup', label: 'Setup' },
  { id: 'settings', label: 'Settings' },
];

export function TopBar() {
  const actions = useActions();
  const { view, status, connection } = useAppShallow((s) => ({ view: s.view, status: s.status, connection: s.connection }));
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Streamtap
      </div>
      <nav className="nav" aria-label="Views">
        {VIEWS.map((v) => (
          <button key={v.id} type="button" className={`nav-item${view === v.id ? ' is-active' : ''}`} aria-current={view === v.id ? 'page' : undefined} onClick={() => actions.setView(v.id)}>
            {v.label}
          </button>
        ))}
      </nav>
      <div className="topbar-right">
        {status ? (
          <>
            <span className={`live-count${status.live ? ' is-live' : ''}`} title="Requests streaming right now" data-testid="live-count">
              <span className="dot" aria-hidden="true" />
              {status.live} live
            </span>
            {status.baseUrl ? (
              <span className="mono faint baseurl-chip" title="Streamtap's base URL">
                {status.baseUrl.replace(/^https?:\/\//, '')}
              </span>
            ) : null}
            <button
              type="button"
              className={`btn btn-small rec-toggle${status.paused ? ' is-paused' : ''}`}
              onClick={() => void actions.setPaused(!status.paused)}
              title={status.paused ? 'Recording is paused: requests pass through but are not recorded' : 'Pause recording'}
              data-testid="pause-toggle"
            >
              <span className="rec-dot" aria-hidden="true" />
              {status.paused ? 'Paused — resume' : 'Recording'}
            </button>
          </>
        ) : null}
        {connection !== 'open' ? (
          <span className={`conn conn-${connection}`} title="Live updates">
            {connection === 'connecting' ? 'connecting…' : connection === 'reconnecting' ? 'reconnecting…' : connection === 'refused' ? 'token refused' : 'offline'}
          </span>
        ) : null}
      </div>
    </header>
  );
}
