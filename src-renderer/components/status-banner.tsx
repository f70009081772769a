// Problems the user must see in the window, not only in a log: the port is taken,
// recording is degraded (writes failing, records queued in memory), recording paused,
// the live feed lost, the dashboard token refused (with the way out: the new URL).

import { useState } from 'react';
import { parseDashboardUrl } from '../lib/token.js';
import { useActions, useAppShallow } from '../stores/app-context.js';

export function StatusBanner() {
  const actions = useActions();
  const { status, connection, detail } = useAppShallow((s) => ({ status: s.status, connection: s.connection, detail: s.connectionDetail }));
  return (
    <>
      {connection === 'refused' ? <TokenRefused message={detail} /> : null}
      {status?.problem ? (
        <div className="banner banner-bad" role="alert" data-testid="problem-banner">
          <span aria-hidden="true">⚠</span>
          <span>{status.problem}</span>
          {status.storeDegraded && status.queuedWrites > 0 ? <span className="faint-2">({status.queuedWrites.toLocaleString('en-US')} writes waiting)</span> : null}
        </div>
      ) : null}
      {status?.paused ? (
        <div className="banner banner-warn" data-testid="paused-banner">
          <span aria-hidden="true">❚❚</span>
          <span>Recording is paused: requests still pass through Streamtap but are not recorded.</span>
          <button type="button" className="btn btn-small" onClick={() => void actions.setPaused(false)}>
            Resume recording
          </button>
        </div>
      ) : null}
      {connection === 'reconnecting' || connection === 'failed' ? (
        <div className="banner banner-warn" role="status" data-testid="connection-banner">
          <span aria-hidden="true">↻</span>
          <span>{detail ?? 'Live updates are interrupted; reconnecting…'}</span>
        </div>
      ) : null}
    </>
  );
}

function TokenRefused({ message }: { message: string | null }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="banner banner-bad banner-token" role="alert" data-testid="token-refused">
      <span aria-hidden="true">⚠</span>
      <span className="banner-text">{message ?? 'This tab\'s dashboard token was refused.'}</span>
      <form
        className="token-form"
        onSubmit={(e) => {
          e.preventDefault();
          const parsed = parseDashboardUrl(text);
          if (!parsed.ok) {
            setError(parsed.error);
            return;
          }
          window.location.assign(parsed.url);
        }}
      >
        <input
          className="input token-input"
          placeholder="http://127.0.0.1:7788/__streamtap/?token=…"
          aria-label="The new dashboard URL"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setError(null);
          }}
          data-testid="token-url"
        />
        <button type="submit" className="btn btn-small">
          Open
        </button>
        {error ? <span className="field-error">{error}</span> : null}
      </form>
    </div>
  );
}
