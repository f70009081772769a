// The stream drawn over time: waiting for headers, then each raw event's arrival binned
// into thin bars (a burst is a tall bar, a stall an empty stretch), the TTFT marker,
// the end, and the longest silence labelled — so "it went quiet for 40 s and then the
// client gave up" is visible before reading a number. While a request is live, each
// event is drawn as it arrives (ticks pushed with its progress) and a stall is marked
// as it grows. Hovering shows an event's time and name; a click opens it in the Raw tab.

import { useRef, useState } from 'react';
import type { RequestRecord } from '../../../src-main/common/record.js';
import { useNow } from '../../components/use-now.js';
import { formatDuration } from '../../lib/format.js';
import { badgeFor, STALL_MS } from '../../lib/outcome.js';
import { axisStep, axisTicks, formatTick, nearestEvent, timingModel } from '../../lib/timing.js';
import { countOf } from '../../lib/words.js';

const W = 640;
const H = 114;
const PAD_L = 8;
const PAD_R = 14;
// top to bottom: the gap label and its bracket, the TTFT label, the bars, the axis
const GAP_LABEL_Y = 11;
const BRACKET_Y = 22;
const BAR_TOP = 36;
const BAR_BOTTOM = 86;
const AXIS_Y = 94;
/** how close (in chart units) the pointer must be to an event to pick it */
const PICK_RADIUS = 8;

export function TimingChart({ record, onOpenEvent }: { record: RequestRecord; onOpenEvent?: (index: number) => void }) {
  const live = record.outcome === 'in_progress';
  const now = useNow(live);
  const svg = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const nowOffsetMs = live ? Math.max(0, now - record.startedAt) : undefined;
  const model = timingModel(record.events, record.timings, {
    ...(nowOffsetMs !== undefined ? { nowOffsetMs } : {}),
    bucketCount: 200,
    gapsFromMs: record.timings.ttftMs ?? 0,
  });
  const innerW = W - PAD_L - PAD_R;
  const x = (ms: number): number => PAD_L + (Math.min(ms, model.endMs) / model.endMs) * innerW;
  const barW = Math.max(1, innerW / model.buckets.length - 0.6);
  const { firstByteMs, ttftMs } = record.timings;
  const badge = badgeFor(record);
  const step = axisStep(model.endMs, 6);
  const ticks = axisTicks(model.endMs, 6);
  // Event times that were never saved: Streamtap stopped before it wrote them (records
  // from before times were checkpointed), or a stream's events all fell past the cap.
  const unsaved = record.events.length === 0 && record.eventCount > 0;
  const lastEventMs = record.timings.lastEventMs;
  const stallMs = live && lastEventMs !== null && nowOffsetMs !== undefined ? nowOffsetMs - lastEventMs : null;
  const stalled = stallMs !== null && stallMs >= STALL_MS;
  const gap = stalled ? null : model.longestGap;
  const showGap = gap !== null && model.eventCount > 0 && gap.toMs - gap.fromMs >= Math.max(250, model.endMs * 0.08);
  const gapMid = gap ? (x(gap.fromMs) + x(gap.toMs)) / 2 : 0;
  const anchor = (mid: number) => (mid < 90 ? 'start' : mid > W - 90 ? 'end' : 'middle');
  const hovered = hover !== null ? record.events[hover] : undefined;

  const pick = (e: { clientX: number }): number | null => {
    const box = svg.current?.getBoundingClientRect();
    if (!box || box.width === 0 || record.events.length === 0) return null;
    const cx = ((e.clientX - box.left) / box.width) * W;
    const ms = ((cx - PAD_L) / innerW) * model.endMs;
    const i = nearestEvent(record.events, ms);
    if (i === null) return null;
    return Math.abs(x(record.events[i]!.t) - cx) <= PICK_RADIUS ? i : null;
  };

  return (
    <figure className={`timing${stalled ? ' is-stalled' : ''}`} data-testid="timing-chart" data-events={model.eventCount}>
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={describe(record, model.eventCount, gap, stallMs)}
        className={hover !== null && onOpenEvent ? 'is-picking' : undefined}
        onPointerMove={(e) => setHover(pick(e))}
        onPointerLeave={() => setHover(null)}
        onClick={(e) => {
          const i = pick(e);
          if (i !== null) onOpenEvent?.(i);
        }}
      >
        {/* waiting for response headers, then for the first token */}
        {firstByteMs !== null ? <rect className="tc-wait" x={x(0)} y={BAR_TOP} width={Math.max(0, x(firstByteMs) - x(0))} height={BAR_BOTTOM - BAR_TOP} /> : null}
        {firstByteMs !== null && ttftMs !== null && ttftMs > firstByteMs ? (
          <rect className="tc-think" x={x(firstByteMs)} y={BAR_TOP} width={Math.max(0, x(ttftMs) - x(firstByteMs))} height={BAR_BOTTOM - BAR_TOP} />
        ) : null}
        {firstByteMs === null && model.eventCount === 0 ? (
          <rect className="tc-wait" x={x(0)} y={BAR_TOP} width={Math.max(0, x(model.endMs) - x(0))} height={BAR_BOTTOM - BAR_TOP} />
        ) : null}
        {unsaved && lastEventMs !== null ? (
          <rect
            className="tc-unsaved"
            x={x(ttftMs ?? firstByteMs ?? 0)}
            y={BAR_TOP}
            width={Math.max(2, x(lastEventMs) - x(ttftMs ?? firstByteMs ?? 0))}
            height={BAR_BOTTOM - BAR_TOP}
            data-testid="tc-unsaved"
          />
        ) : null}
        {showGap && gap ? (
          <g className="tc-gap">
            <rect x={x(gap.fromMs)} y={BAR_TOP} width={Math.max(1, x(gap.toMs) - x(gap.fromMs))} height={BAR_BOTTOM - BAR_TOP} />
            <path d={`M${x(gap.fromMs)},${BRACKET_Y + 5} v-5 H${x(gap.toMs)} v5`} />
            <text x={Math.min(W - PAD_R - 2, Math.max(PAD_L + 2, gapMid))} y={GAP_LABEL_Y + 4} textAnchor={anchor(gapMid)}>
              {gap.where === 'end' ? (live ? 'no event for' : 'silent before the end') : gap.where === 'start' ? 'waiting' : 'longest gap'} {formatDuration(gap.toMs - gap.fromMs)}
            </text>
          </g>
        ) : null}
        {stalled && lastEventMs !== null && stallMs !== null ? (
          <g className="tc-gap tc-stall" data-testid="tc-stall">
            <rect x={x(lastEventMs)} y={BAR_TOP} width={Math.max(1, x(model.endMs) - x(lastEventMs))} height={BAR_BOTTOM - BAR_TOP} />
            <path d={`M${x(lastEventMs)},${BRACKET_Y + 5} v-5 H${x(model.endMs)} v5`} />
            <text x={Math.min(W - PAD_R - 2, (x(lastEventMs) + x(model.endMs)) / 2)} y={GAP_LABEL_Y + 4} textAnchor={anchor((x(lastEventMs) + x(model.endMs)) / 2)}>
              stalled: no event for {formatDuration(stallMs)}
            </text>
          </g>
        ) : null}
        {model.buckets.map((n, i) => {
          if (n === 0) return null;
          const h = Math.max(3, Math.sqrt(n / Math.max(1, model.maxBucket)) * (BAR_BOTTOM - BAR_TOP));
          return <rect key={i} className="tc-bar" x={PAD_L + (i * innerW) / model.buckets.length} y={BAR_BOTTOM - h} width={barW} height={h} />;
        })}
        {ttftMs !== null ? (
          <g className="tc-ttft">
            <line x1={x(ttftMs)} x2={x(ttftMs)} y1={BAR_TOP - 10} y2={BAR_BOTTOM + 2} />
            <text x={x(ttftMs) > W - 110 ? x(ttftMs) - 3 : x(ttftMs) + 3} y={BAR_TOP - 3} textAnchor={x(ttftMs) > W - 110 ? 'end' : 'start'}>
              TTFT {formatDuration(ttftMs)}
            </text>
          </g>
        ) : null}
        {live ? (
          <g className="tc-now">
            <line x1={x(model.endMs)} x2={x(model.endMs)} y1={BAR_TOP - 2} y2={BAR_BOTTOM + 2} />
          </g>
        ) : (
          <g className={`tc-end tone-${badge.tone}`}>
            <line x1={x(model.endMs)} x2={x(model.endMs)} y1={BAR_TOP - 2} y2={BAR_BOTTOM + 2} />
          </g>
        )}
        {hovered ? <line className="tc-hover" x1={x(hovered.t)} x2={x(hovered.t)} y1={BAR_TOP - 4} y2={BAR_BOTTOM + 4} /> : null}
        {/* a wide transparent band so the pointer finds events between bars */}
        <rect className="tc-hit" x={PAD_L} y={BAR_TOP - 12} width={innerW} height={BAR_BOTTOM - BAR_TOP + 20} />
        <line className="tc-axis" x1={PAD_L} x2={W - PAD_R} y1={AXIS_Y} y2={AXIS_Y} />
        {ticks.map((t) => (
          <g key={t} className="tc-tick">
            <line x1={x(t)} x2={x(t)} y1={AXIS_Y} y2={AXIS_Y + 4} />
            <text x={x(t)} y={AXIS_Y + 15} textAnchor={t === 0 ? 'start' : 'middle'}>
              {formatTick(t, step)}
            </text>
          </g>
        ))}
      </svg>
      {hovered && hover !== null ? (
        <div className="tc-tip" role="tooltip" data-testid="timing-tip" style={{ left: `${Math.min(82, Math.max(18, (x(hovered.t) / W) * 100))}%` }}>
          <span className="num">+{formatDuration(hovered.t)}</span> <code>{hovered.event ?? 'message'}</code> <span className="faint">event {hover + 1}{onOpenEvent ? ' · click to open' : ''}</span>
        </div>
      ) : null}
      <figcaption className="timing-legend">
        <span>
          <i className="sw sw-wait" /> waiting for headers
        </span>
        <span>
          <i className="sw sw-think" /> headers → first token
        </span>
        <span>
          <i className="sw sw-bar" /> {unsaved ? `${countOf(record.eventCount, 'event')}, times not saved` : countOf(model.eventCount, 'event')}
          {record.eventsTruncated ? '+, list capped' : ''}
        </span>
        <span>
          <i className="sw sw-ttft" /> TTFT
        </span>
        {live ? (
          <span className={stalled ? 'warn-text' : 'live-text'}>
            {stalled ? `stalled ${formatDuration(stallMs)}` : 'live'} — {formatDuration(nowOffsetMs ?? 0)}
          </span>
        ) : (
          <span>end: {badge.label}</span>
        )}
      </figcaption>
      {unsaved ? (
        <p className="timing-note faint" data-testid="timing-unsaved">
          Streamtap stopped before this stream&rsquo;s event times were saved: the shaded span runs from the first token to the last event.
        </p>
      ) : null}
    </figure>
  );
}

function describe(r: RequestRecord, events: number, gap: ReturnType<typeof timingModel>['longestGap'], stallMs: number | null): string {
  const parts = [countOf(events, 'event')];
  if (r.timings.ttftMs !== null) parts.push(`first token at ${formatDuration(r.timings.ttftMs)}`);
  if (stallMs !== null && stallMs >= STALL_MS) parts.push(`stalled: no event for ${formatDuration(stallMs)}`);
  else if (gap) parts.push(`longest silence ${formatDuration(gap.toMs - gap.fromMs)}`);
  if (r.timings.durationMs !== null) parts.push(`ended at ${formatDuration(r.timings.durationMs)}`);
  return `Stream timing: ${parts.join(', ')}`;
}
