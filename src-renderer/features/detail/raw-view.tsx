// The raw exchange: redacted headers both ways, the request body as sent (a JSON tree),
// the raw body of a non-stream answer and the SSE events with their arrival offsets.
// The event list grows on demand so a 20,000-event stream does not build 20,000 rows at
// once; an event picked on the timing chart is brought into view and marked.

import { useEffect, useRef, useState } from 'react';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { CopyButton } from '../../components/copy-button.js';
import { JsonBody } from '../../components/json-body.js';
import { formatDuration } from '../../lib/format.js';

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

export function RawView({ record: r, focusEvent = null }: { record: RequestRecord; focusEvent?: number | null }) {
  const [limit, setLimit] = useState(EVENTS_STEP);
  const shownLimit = focusEvent !== null && focusEvent >= limit ? Math.ceil((focusEvent + 1) / EVENTS_STEP) * EVENTS_STEP : limit;
  const events = r.events.slice(0, shownLimit);
  const focused = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (focusEvent !== null) focused.current?.scrollIntoView({ block: 'center' });
  }, [focusEvent]);
  // While a request streams (or when Streamtap stopped before it settled) the events
  // carry their times and names only: bodies are stored once, at the end.
  const bodiesPending = r.events.length > 0 && r.events.every((e) => e.data === '');
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
        {r.requestBody.text ? <JsonBody text={r.requestBody.text} testId="raw-request-body" /> : <div className="faint">empty</div>}
      </div>
      {r.responseBody ? (
        <div className="raw-section">
          <div className="section-label">
            Response body <span className="faint">{r.responseBody.bytes.toLocaleString('en-US')} bytes{r.responseBody.truncated ? ', cut at the capture limit' : ''}</span>
          </div>
          <JsonBody text={r.responseBody.text} testId="raw-response-body" />
        </div>
      ) : null}
      <div className="raw-section">
        <div className="section-label">
          Events <span className="faint">{r.events.length.toLocaleString('en-US')}{r.eventsTruncated ? ' kept (the list was capped)' : ''}</span>
        </div>
        {bodiesPending ? (
          <div className="note" data-testid="event-bodies-pending">
            {r.outcome === 'in_progress'
              ? 'Live: each event is listed with its time and name as it arrives; their bodies show when the request settles.'
              : // Only records from before the event log (migration 0003): it keeps the bodies too.
                'Streamtap stopped before this request settled: the event times and names were saved, their bodies were not.'}
          </div>
        ) : null}
        {r.events.length === 0 ? (
          <div className="faint">none</div>
        ) : (
          <ol className="events" data-testid="raw-events">
            {events.map((e, i) => (
              <li
                key={i}
                ref={i === focusEvent ? focused : undefined}
                className={`event${i === focusEvent ? ' is-focused' : ''}`}
                data-index={i}
                aria-current={i === focusEvent ? 'true' : undefined}
              >
                <span className="event-t num" title={`event ${i + 1}`}>
                  +{formatDuration(e.t)}
                </span>
                <span className="event-name">{e.event ?? <span className="faint">message</span>}</span>
                <span className="event-data">{e.data.length > 600 ? `${e.data.slice(0, 600)}…` : e.data}</span>
                {e.data ? <CopyButton text={e.data} label="Copy" className="event-copy" /> : null}
              </li>
            ))}
          </ol>
        )}
        {r.events.length > shownLimit ? (
          <button type="button" className="btn btn-small" onClick={() => setLimit(shownLimit + EVENTS_STEP)}>
            Show {Math.min(EVENTS_STEP, r.events.length - shownLimit)} more of {(r.events.length - shownLimit).toLocaleString('en-US')}
          </button>
        ) : null}
      </div>
    </div>
  );
}
