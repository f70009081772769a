// Checks what arrives on the live channel before the stores touch it. The push channel
// crosses a process boundary (IPC or SSE), so a bad payload — a version skew, a bug on
// the other side — is reported and dropped instead of corrupting the timeline. Only
// the fields the renderer relies on are checked; a record change is dropped on its own,
// the rest of its batch is kept. Pure.

import type { LiveEvent, LiveRecordChange } from '../../src-main/common/contract.js';
import { OUTCOMES, type EventTicks, type RequestSummary } from '../../src-main/common/record.js';

type Warn = (message: string, value?: unknown) => void;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const KINDS = new Set(['started', 'progress', 'finished']);

function isSummary(v: unknown): v is RequestSummary {
  if (!isObj(v)) return false;
  return (
    typeof v['id'] === 'string' &&
    typeof v['startedAt'] === 'number' &&
    Number.isFinite(v['startedAt']) &&
    typeof v['outcome'] === 'string' &&
    (OUTCOMES as readonly string[]).includes(v['outcome']) &&
    isObj(v['timings']) &&
    isObj(v['usage']) &&
    typeof v['upstream'] === 'string'
  );
}

function isTicks(v: unknown): v is EventTicks {
  if (!isObj(v)) return false;
  const { from, t, name } = v;
  return (
    typeof from === 'number' &&
    Number.isInteger(from) &&
    from >= 0 &&
    Array.isArray(t) &&
    Array.isArray(name) &&
    t.length === name.length &&
    t.every((x) => typeof x === 'number' && Number.isFinite(x)) &&
    name.every((x) => x === null || typeof x === 'string')
  );
}

function isSeq(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isStatus(v: unknown): boolean {
  return isObj(v) && typeof v['listening'] === 'boolean' && typeof v['paused'] === 'boolean' && typeof v['live'] === 'number';
}

/** The event, cleaned, or null when nothing in it is usable. */
export function parseLiveEvent(raw: unknown, warn: Warn = (m, v) => console.warn(m, v)): LiveEvent | null {
  if (!isObj(raw)) {
    warn('streamtap: dropped a live event that is not an object', raw);
    return null;
  }
  switch (raw['type']) {
    case 'records': {
      const changes = raw['changes'];
      if (!Array.isArray(changes)) {
        warn('streamtap: dropped a records event without a changes list', raw);
        return null;
      }
      const good: LiveRecordChange[] = [];
      for (const c of changes) {
        if (isObj(c) && typeof c['kind'] === 'string' && KINDS.has(c['kind']) && isSummary(c['summary']) && isSeq(c['seq'])) {
          const change: LiveRecordChange = { kind: c['kind'] as LiveRecordChange['kind'], summary: c['summary'], seq: c['seq'] };
          // Bad ticks cost only the live chart's smoothness (the record is re-read): drop them alone.
          if (c['ticks'] !== undefined) {
            if (isTicks(c['ticks'])) change.ticks = c['ticks'];
            else warn('streamtap: dropped malformed event ticks', c['ticks']);
          }
          good.push(change);
        } else {
          warn('streamtap: dropped a malformed record change', c);
        }
      }
      return good.length ? { type: 'records', seq: good.reduce((m, c) => Math.max(m, c.seq), 0), changes: good } : null;
    }
    case 'status':
      if (!isStatus(raw['status'])) {
        warn('streamtap: dropped a malformed status event', raw);
        return null;
      }
      return raw as LiveEvent;
    case 'export.progress':
      if (typeof raw['exportId'] !== 'string' || typeof raw['written'] !== 'number' || typeof raw['done'] !== 'boolean') {
        warn('streamtap: dropped a malformed export.progress event', raw);
        return null;
      }
      return raw as LiveEvent;
    default:
      warn('streamtap: dropped a live event of unknown type', raw);
      return null;
  }
}
