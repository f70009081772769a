// Requests and failures over time for the current filter, above the table: each bar
// is one slice of the filter's time span (requests.histogram counts the whole set in
// the store), its failed part in red, so 99 failures among 5,000 rows stand out before
// any scrolling. Hovering a bar names its slice and counts.

import { useState } from 'react';
import { formatClock, formatDateTime } from '../../lib/format.js';
import { countOf } from '../../lib/words.js';
import { useAppState } from '../../stores/app-context.js';

const W = 600;
const H = 40;

export function ActivityChart() {
  const h = useAppState((s) => s.histogram);
  const [hover, setHover] = useState<number | null>(null);
  if (!h) return <div className="activity" aria-busy="true" />;
  const total = h.requests.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const max = Math.max(1, ...h.requests);
  const failedTotal = h.failed.reduce((a, b) => a + b, 0);
  const n = h.requests.length;
  const bw = W / n;
  const to = h.from + h.bucketMs * n;
  const multiDay = new Date(h.from).toDateString() !== new Date(to).toDateString();
  const when = (t: number) => (multiDay ? formatDateTime(t) : formatClock(t));
  const tip = hover !== null ? `${when(h.from + hover * h.bucketMs)} – ${when(h.from + (hover + 1) * h.bucketMs)}: ${countOf(h.requests[hover]!, 'request')}, ${h.failed[hover]} cut off or failed` : null;
  return (
    <div className="activity" data-testid="activity">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        width="100%"
        height={H}
        role="img"
        aria-label={`Requests over time: ${countOf(total, 'request')}, ${failedTotal} cut off or failed, from ${when(h.from)} to ${when(to)}`}
        onPointerLeave={() => setHover(null)}
      >
        {h.requests.map((r, i) => {
          if (r === 0) return null;
          const rh = Math.max(1.5, (r / max) * (H - 2));
          const fh = h.failed[i]! > 0 ? Math.max(2, (h.failed[i]! / max) * (H - 2)) : 0;
          return (
            <g key={i} onPointerEnter={() => setHover(i)}>
              <rect className="act-hit" x={i * bw} y={0} width={bw} height={H} />
              <rect className="act-bar" x={i * bw + 0.5} y={H - rh} width={Math.max(0.5, bw - 1)} height={rh} />
              {fh ? <rect className="act-fail" x={i * bw + 0.5} y={H - fh} width={Math.max(0.5, bw - 1)} height={fh} data-failed={h.failed[i]} /> : null}
            </g>
          );
        })}
      </svg>
      <div className="activity-axis">
        <span>{when(h.from)}</span>
        <span className="activity-tip" role="status">
          {tip ?? (
            <>
              <i className="sw act-sw-bar" /> requests <i className="sw act-sw-fail" /> cut off or failed
            </>
          )}
        </span>
        <span>{when(to)}</span>
      </div>
    </div>
  );
}
