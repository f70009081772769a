// The raw exchange: redacted headers both ways, the request body as sent, the raw body
// of a non-stream answer and the SSE events with their arrival offsets. The event list
// grows on demand so a 20,000-event stream does not build 20,000 rows at once.

import { useState } from 'react';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { ClampedText } from './clamped-text.js';

const EVENTS_STEP = 300;

function Headers({ title, headers }: { title: string; headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  return (
    <div className="raw-section">
      <div className="section-label">{title}</div>
      {entries.length === 0 ? (
        <div className="faint">none</div>
      ) : (
        <table className="kv headers">
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function RawView({ record: r }: { record: RequestRecord }) {
  const [limit, setLimit] = useState(EVENTS_STEP);
  const events = r.events.slice(0, limit);
  return (
    <div className="raw-view">
      <div className="raw-line mono">
        {r.method} {r.path} <span className="faint">→ {r.upstreamUrl}</span>
      </div>
      <Headers title="Request headers (redacted)" headers={r.requestHeaders} />
      <Headers title="Response headers" headers={r.responseHeaders} />
      <div className="raw-section">
        <div className="section-label">
          Request body <span className="faint">{r.requestBody.bytes.toLocaleString('en-US')} bytes{r.requestBody.truncated ? ', cut at the capture limit' : ''}</span>
        </div>
        {r.requestBody.text ? <ClampedText text={r.requestBody.text} limit={20_000} /> : <div className="faint">empty</div>}
      </div>
      {r.responseBody ? (
        <div className="raw-section">
          <div className="section-label">
            Response body <span className="faint">{r.responseBody.bytes.toLocaleString('en-US')} bytes{r.responseBody.truncated ? ', cut at the capture limit' : ''}</span>
          </div>
          <ClampedText text={r.responseBody.text} limit={20_000} />
        </div>
      ) : null}
      <div className="raw-section">
        <div className="section-label">
          Events <span className="faint">{r.events.length.toLocaleString('en-US')}{r.eventsTruncated ? ' kept (the list was capped)' : ''}</span>
        </div>
        {r.events.length === 0 ? (
          <div className="faint">none</div>
        ) : (
          <ol className="events" data-testid="raw-events">
            {events.map((e, i) => (
              <li key={i} className="event">
                <span className="event-t num">+{e.t < 10_000 ? `${Math.round(e.t)} ms` : `${(e.t / 1000).toFixed(2)} s`}</span>
                <span className="event-name">{e.event ?? <span className="faint">message</span>}</span>
                <span className="event-data">{e.data.length > 600 ? `${e.data.slice(0, 600)}…` : e.data}</span>
              </li>
            ))}
          </ol>
        )}
        {r.events.length > limit ? (
          <button type="button" className="btn btn-small" onClick={() => setLimit((l) => l + EVENTS_STEP)}>
            Show {Math.min(EVENTS_STEP, r.events.length - limit)} more of {(r.events.length - limit).toLocaleString('en-US')}
          </button>
        ) : null}
      </div>
    </div>
  );
}
