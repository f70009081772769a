// Problems the user must see in the window, not only in a log: the port is taken,
// recording is degraded (writes failing, records queued in memory), recording paused,
// the live feed lost.

import { useAppShallow } from '../stores/app-context.js';
import { useActions } from '../stores/app-context.js';

export function StatusBanner() {
  const actions = useActions();
  const { status, connection, detail } = useAppShallow((s) => ({ status: s.status, connection: s.connection, detail: s.connectionDetail }));
  return (
    <>
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
        <div className="banner banner-warn" role="status">
          <span aria-hidden="true">↻</span>
          <span>{detail ?? 'Live updates are interrupted; reconnecting…'}</span>
        </div>
      ) : null}
    </>
  );
}
