// The stream drawn over time: waiting for headers, then each raw event's arrival binned
// into thin bars (a burst is a tall bar, a stall an empty stretch), the TTFT marker,
// the end, and the longest silence labelled — so "it went quiet for 40 s and then the
// client gave up" is visible before reading a number.

import type { RequestRecord } from '../../../src-main/common/record.js';
import { useNow } from '../../components/use-now.js';
import { formatDuration } from '../../lib/format.js';
import { badgeFor } from '../../lib/outcome.js';
import { axisTicks, timingModel } from '../../lib/timing.js';

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

export function TimingChart({ record }: { record: RequestRecord }) {
  const live = record.outcome === 'in_progress';
  const now = useNow(live);
  const model = timingModel(record.events, record.timings, {
    nowOffsetMs: live ? now - record.startedAt : undefined,
    bucketCount: 200,
    gapsFromMs: record.timings.ttftMs ?? 0,
  });
  const innerW = W - PAD_L - PAD_R;
  const x = (ms: number): number => PAD_L + (Math.min(ms, model.endMs) / model.endMs) * innerW;
  const barW = Math.max(1, innerW / model.buckets.length - 0.6);
  const { firstByteMs, ttftMs } = record.timings;
  const gap = model.longestGap;
  const showGap = gap !== null && model.eventCount > 0 && gap.toMs - gap.fromMs >= Math.max(250, model.endMs * 0.08);
  const badge = badgeFor(record);
  const ticks = axisTicks(model.endMs, 6);
  const gapMid = gap ? (x(gap.fromMs) + x(gap.toMs)) / 2 : 0;

  return (
    <figure className="timing" data-testid="timing-chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={describe(record, model.eventCount, gap)}>
        {/* waiting for response headers, then for the first token */}
        {firstByteMs !== null ? <rect className="tc-wait" x={x(0)} y={BAR_TOP} width={Math.max(0, x(firstByteMs) - x(0))} height={BAR_BOTTOM - BAR_TOP} /> : null}
        {firstByteMs !== null && ttftMs !== null && ttftMs > firstByteMs ? (
          <rect className="tc-think" x={x(firstByteMs)} y={BAR_TOP} width={Math.max(0, x(ttftMs) - x(firstByteMs))} height={BAR_BOTTOM - BAR_TOP} />
        ) : null}
        {firstByteMs === null && model.eventCount === 0 ? (
          <rect className="tc-wait" x={x(0)} y={BAR_TOP} width={Math.max(0, x(model.endMs) - x(0))} height={BAR_BOTTOM - BAR_TOP} />
        ) : null}
        {showGap && gap ? (
          <g className="tc-gap">
            <rect x={x(gap.fromMs)} y={BAR_TOP} width={Math.max(1, x(gap.toMs) - x(gap.fromMs))} height={BAR_BOTTOM - BAR_TOP} />
            <path d={`M${x(gap.fromMs)},${BRACKET_Y + 5} v-5 H${x(gap.toMs)} v5`} />
            <text x={Math.min(W - PAD_R - 2, Math.max(PAD_L + 2, gapMid))} y={GAP_LABEL_Y + 4} textAnchor={gapMid < 90 ? 'start' : gapMid > W - 90 ? 'end' : 'middle'}>
              {gap.where === 'end' ? 'silent before the end' : gap.where === 'start' ? 'waiting' : 'longest gap'} {formatDuration(gap.toMs - gap.fromMs)}
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
        <g className={`tc-end tone-${badge.tone}`}>
          <line x1={x(model.endMs)} x2={x(model.endMs)} y1={BAR_TOP - 2} y2={BAR_BOTTOM + 2} />
        </g>
        <line className="tc-axis" x1={PAD_L} x2={W - PAD_R} y1={AXIS_Y} y2={AXIS_Y} />
        {ticks.map((t) => (
          <g key={t} className="tc-tick">
            <line x1={x(t)} x2={x(t)} y1={AXIS_Y} y2={AXIS_Y + 4} />
            <text x={x(t)} y={AXIS_Y + 15} textAnchor={t === 0 ? 'start' : 'middle'}>
              {t === 0 ? '0' : formatDuration(t)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption className="timing-legend">
        <span>
          <i className="sw sw-wait" /> waiting for headers
        </span>
        <span>
          <i className="sw sw-think" /> headers → first token
        </span>
        <span>
          <i className="sw sw-bar" /> events ({model.eventCount.toLocaleString('en-US')}
          {record.eventsTruncated ? '+, list capped' : ''})
        </span>
        <span>
          <i className="sw sw-ttft" /> TTFT
        </span>
        {live ? <span className="live-text">live — {formatDuration(now - record.startedAt)}</span> : <span>end: {badge.label}</span>}
      </figcaption>
    </figure>
  );
}

function describe(r: RequestRecord, events: number, gap: ReturnType<typeof timingModel>['longestGap']): string {
  const parts = [`${events} events`];
  if (r.timings.ttftMs !== null) parts.push(`first token at ${formatDuration(r.timings.ttftMs)}`);
  if (gap) parts.push(`longest silence ${formatDuration(gap.toMs - gap.fromMs)}`);
  if (r.timings.durationMs !== null) parts.push(`ended at ${formatDuration(r.timings.durationMs)}`);
  return `Stream timing: ${parts.join(', ')}`;
}
