// The evidence behind the diagnosis, in plain words: who closed the connection, at what
// phase, what the stream had delivered, and the provider's own error.

import type { ReactNode } from 'react';
import type { Phase, RequestRecord } from '../../../src-main/common/record.js';
import { closedBy, errorLines } from '../../lib/evidence.js';
import { formatBytes, formatDuration, formatInt } from '../../lib/format.js';
import { Tokens } from '../timeline/timeline-row.js';

const PHASE: Record<Phase, string> = {
  request_body: 'while the client was still sending its request',
  before_response: 'before any response',
  before_first_chunk: 'after the headers, before the first chunk',
  mid_stream: 'mid-stream',
  after_terminal: 'after the answer was complete',
  complete: 'complete',
};

function yesNo(v: boolean) {
  return v ? <span className="ok-text">yes</span> : <span className="faint">no</span>;
}

export function Evidence({ record: r }: { record: RequestRecord }) {
  const e = r.evidence;
  const err = r.error;
  const rows: [string, ReactNode][] = [
    ['Closed by', r.outcome === 'in_progress' ? <span className="faint">still open</span> : closedBy(r)],
    ['Phase', r.phase ? PHASE[r.phase] : <span className="faint">–</span>],
    ['HTTP status', r.httpStatus ?? <span className="faint">none received</span>],
    ['Events seen', formatInt(e.eventsSeen)],
    ['Last event', e.lastEvent ? <code>{e.lastEvent}</code> : <span className="faint">–</span>],
    ['Terminal event', yesNo(e.terminalEventSeen)],
    ['Usage seen', yesNo(e.usageSeen)],
    ['Stop reason', r.stopReason ? <code>{r.stopReason}</code> : <span className="faint">–</span>],
    ['Sent to client', formatBytes(e.bytesToClient)],
  ];
  if (e.errorCode) rows.push(['Network error', <code key="c">{e.errorCode}</code>]);
  if (err?.type) rows.push(['Error type', <code key="t">{err.type}</code>]);
  if (err?.code) rows.push(['Error code', <code key="c2">{err.code}</code>]);
  if (err?.retryAfterS !== null && err?.retryAfterS !== undefined) rows.push(['Retry after', formatDuration(err.retryAfterS * 1000)]);
  if (r.badJsonEvents > 0) rows.push(['Unparsable events', formatInt(r.badJsonEvents)]);
  if (r.retryCount !== null && r.retryCount > 0) rows.push(['SDK retry', `attempt ${r.retryCount + 1}`]);

  // The box under the diagnosis adds what the diagnosis does not already say.
  const lines = errorLines(r);
  return (
    <>
      {lines.length ? (
        <div className="error-box" data-testid="error-message">
          {lines.map((l, i) => (
            <div key={i} className={i ? 'faint-2' : undefined}>
              {l}
            </div>
          ))}
        </div>
      ) : null}
      <dl className="evidence" data-testid="evidence">
        {rows.map(([k, v]) => (
          <div key={k} className="ev">
            <dt>{k}</dt>
            <dd title={typeof v === 'string' || typeof v === 'number' ? String(v) : undefined}>{v}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

export function Metrics({ record: r }: { record: RequestRecord }) {
  const u = r.usage;
  return (
    <div className="metrics">
      <Metric label="TTFT" value={formatDuration(r.timings.ttftMs)} />
      <Metric label="First byte" value={formatDuration(r.timings.firstByteMs)} />
      <Metric label="Duration" value={formatDuration(r.timings.durationMs)} />
      <Metric label="Tokens in" value={<Tokens value={u.inputTokens} />} />
      <Metric label="Tokens out" value={<Tokens value={u.outputTokens} estimated={u.estimated} />} />
      {u.reasoningTokens ? <Metric label="Reasoning" value={<Tokens value={u.reasoningTokens} />} /> : null}
      {u.cachedTokens ? <Metric label="Cached" value={<Tokens value={u.cachedTokens} />} /> : null}
      <Metric label="Bytes in / out" value={`${formatBytes(r.bytesIn)} / ${formatBytes(r.bytesOut)}`} />
    </div>
  );
}

function Metric({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="metric">
      <div className="metric-label">{label}</div>
      <div className="metric-value">{value}</div>
    </div>
  );
}
