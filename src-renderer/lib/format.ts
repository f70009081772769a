// Number, time and size formatting for the dashboard. Pure: no DOM, so unit tests run
// in Node. Durations and counts are shown in a monospace face, so these keep widths
// stable (fixed decimals) where a column would otherwise jitter as a value ticks.

const NF = new Intl.NumberFormat('en-US');

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return NF.format(Math.round(n));
}

/** Compact token counts: 842, 12.4k, 1.21M. */
export function formatTokens(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 10_000) return NF.format(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** 850 ms, 12.4 s, 3m 05s, 1h 02m. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.floor(ms / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m ${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.floor(totalS / 60);
  if (totalM < 48 * 60) return `${Math.floor(totalM / 60)}h ${String(totalM % 60).padStart(2, '0')}m`;
  return `${Math.floor(totalM / 1440)}d ${Math.floor((totalM % 1440) / 60)}h`;
}

export { formatBytes } from '../../src-main/common/bytes.js';

/** Output tokens per second over the streaming part (after the first token). */
export function tokensPerSecond(outputTokens: number | null, ttftMs: number | null, durationMs: number | null): number | null {
  if (outputTokens === null || outputTokens <= 0 || durationMs === null) return null;
  const streamMs = durationMs - (ttftMs ?? 0);
  // Under 50 ms of streaming the rate is noise (a whole answer in one chunk).
  if (streamMs < 50) return null;
  return outputTokens / (streamMs / 1000);
}

export function formatRate(tps: number | null): string {
  if (tps === null || !Number.isFinite(tps)) return '–';
  return tps < 100 ? tps.toFixed(1) : String(Math.round(tps));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time of day, with milliseconds hidden: 14:03:27. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "14:03:27" today, "Mar 4 14:03" another day (the timeline's time column). */
export function formatWhen(epochMs: number, now: number = Date.now()): string {
  const d = new Date(epochMs);
  const n = new Date(now);
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) return formatClock(epochMs);
  const month = d.toLocaleString('en-US', { month: 'short' });
  return `${month} ${d.getDate()} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** "Mar 4 14:03:27": the time column when rows span more than one day. */
export function formatDateTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()} ${formatClock(epochMs)}`;
}

/** Do these rows (or today and them) fall on more than one local day? */
export function spansDays(rows: readonly { startedAt: number }[], now: number = Date.now()): boolean {
  if (rows.length === 0) return false;
  const day = (t: number) => new Date(t).toDateString();
  const today = day(now);
  // Newest first: the first and last rows bound the span.
  return day(rows[0]!.startedAt) !== today || day(rows[rows.length - 1]!.startedAt) !== today;
}

/** Full local timestamp for tooltips and the detail header. */
export function formatTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(epochMs)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** "3 min ago" style, for "last seen". */
export function formatAgo(epochMs: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  if (s < 45) return 'just now';
  if (s < 90 * 60) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** $1.24, $0.031, $0.0011 (the CLI's sessions table says it the same way); – when unpriced. */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '–';
  return usd >= 1 ? `$${usd.toFixed(2)}` : usd >= 0.01 ? `$${usd.toFixed(3)}` : `$${usd.toFixed(4)}`;
}

/** 37 %, and "<1 %" for a sliver that rounds to nothing. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  return pct > 0 && pct < 0.5 ? '<1 %' : `${Math.round(pct)} %`;
}
