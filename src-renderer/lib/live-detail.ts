// The open request while it streams: each pushed progress change carries the row's
// latest summary and the arrivals of the events since the previous push (ticks). They
// are merged into the detail's record as they come, so its headline, numbers and
// timing chart move with the stream between re-reads of the whole record. Pure.

import type { EventTicks, RawEvent, RequestRecord, RequestSummary } from '../../src-main/common/record.js';
import { formatDuration, formatTokens } from './format.js';
import { plural } from './words.js';
import { STALL_MS } from './outcome.js';

/**
 * The record with the summary's fields and the new events. Ticks that overlap what is
 * there add only their tail; a gap (events missed) adds nothing and asks for a re-read.
 */
export function mergeLive(record: RequestRecord, summary: RequestSummary, ticks: EventTicks | undefined): { record: RequestRecord; gap: boolean } {
  const { responseTextPreview, ...fields } = summary;
  let events = record.events;
  let gap = false;
  if (ticks && ticks.t.length) {
    const have = record.events.length;
    if (ticks.from > have) gap = true;
    else if (ticks.from + ticks.t.length > have) {
      const add: RawEvent[] = [];
      for (let i = have - ticks.from; i < ticks.t.length; i++) add.push({ t: ticks.t[i]!, event: ticks.name[i] ?? null, data: '' });
      events = record.events.concat(add);
    }
  }
  // The stored text is longer than the preview; keep it unless the preview moved past it.
  const responseText = responseTextPreview.length > record.responseText.length ? responseTextPreview : record.responseText;
  return { record: { ...record, ...fields, responseText, events }, gap };
}

/**
 * The detail's headline while a request is live, in the words of what is happening
 * now (the stored diagnosis is written at checkpoints and says nothing of a stall).
 */
export function liveHeadline(r: Pick<RequestRecord, 'startedAt' | 'httpStatus' | 'timings' | 'eventCount' | 'usage'>, now: number): { text: string; stalled: boolean } {
  const elapsed = Math.max(0, now - r.startedAt);
  if (r.httpStatus === null) return { text: `Waiting for the provider to answer: ${formatDuration(elapsed)} so far.`, stalled: false };
  const last = r.timings.lastEventMs;
  if (r.eventCount === 0 || last === null) {
    return { text: `The provider answered HTTP ${r.httpStatus} after ${formatDuration(r.timings.firstByteMs)}; no event yet, ${formatDuration(elapsed)} in.`, stalled: false };
  }
  const silent = elapsed - last;
  const tokens = r.usage.outputTokens !== null ? `, ${r.usage.estimated ? '~' : ''}${formatTokens(r.usage.outputTokens)} output ${plural(r.usage.outputTokens, 'token')}` : '';
  if (silent >= STALL_MS) {
    return {
      text: `Stalled: no event for ${formatDuration(silent)}; the last one arrived ${formatDuration(last)} in (${r.eventCount.toLocaleString('en-US')} ${plural(r.eventCount, 'event')}${tokens} so far).`,
      stalled: true,
    };
  }
  return { text: `Streaming: ${r.eventCount.toLocaleString('en-US')} ${plural(r.eventCount, 'event')}${tokens} in ${formatDuration(elapsed)}.`, stalled: false };
}
