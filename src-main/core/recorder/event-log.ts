// A stream's event log as it is kept and stored: the decoded SSE bytes once, plus each
// event's arrival time and end offset in number arrays. No object per event is built
// for the store while the stream runs; readers (detail view, exports, HAR) get their
// RawEvent[] by re-parsing the bytes with the same SseParser the recorder used, so
// they see exactly the events it saw.
//
// Stored as two columns of request_bodies (migration 0003_event_log):
// - event_log: the bytes up to the end of the last kept event, brotli-compressed on
//   the writer thread (a BLOB). Rows converted from the JSON events column of older
//   databases keep an uncompressed SSE text there instead (a TEXT); readers tell the
//   two apart by the value's SQLite storage class (Buffer vs string).
// - event_times: per event, a zigzag varint of the time since the previous event in
//   0.1 ms units, then a varint of the bytes since the previous event's end (a BLOB);
//   converted rows hold a JSON array of the times instead (a TEXT).

import { brotliDecompressSync } from 'node:zlib';
import type { RawEvent, RequestRecord } from '../../common/record.js';
import { SseParser } from './sse-parser.js';

export interface EventLog {
  /** the decoded SSE bytes up to the end of the last kept event */
  bytes: Uint8Array;
  /** each kept event's arrival, ms from the request's arrival (0.1 ms resolution) */
  times: readonly number[];
  /** each kept event's end: the offset in `bytes` just past the line that dispatched it */
  ends: readonly number[];
}

/** A change to a record, with (for a stream) its event log so far, stored as the
 * record's events. `events` is what readers get back; the recorder never sends it, and
 * when a patch has both, the log is what is stored. `answerInLog` (with the answer's
 * fields in the same patch): the stored log holds the whole answer, which is then not
 * stored again (answer-from-log.ts). */
export type RecordPatch = Partial<RequestRecord> & { eventLog?: EventLog; answerInLog?: boolean };

/** Times are stored in these units of a millisecond (the recorder rounds to 0.1 ms). */
const TIME_UNITS_PER_MS = 10;
const INITIAL_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * The recorder's side: bytes appended as they are decoded, events kept as the parser
 * reports them, up to `maxEvents` events and `maxBytes` bytes. The cap cuts at an event
 * boundary: the first event that does not fit ends the log (`truncated`), and nothing
 * after it is kept.
 */
export class EventLogBuilder {
  private buf: Uint8Array = EMPTY;
  /** bytes appended to `buf` */
  private length = 0;
  /** bytes seen (appended or not): event ends are offsets in the whole stream */
  private seenBytes = 0;
  /** the end of the last kept event */
  private kept = 0;
  readonly times: number[] = [];
  readonly ends: number[] = [];
  /** kept only for the live view's ticks (references to the parser's strings) */
  readonly names: (string | null)[] = [];
  truncated = false;

  constructor(
    private readonly maxBytes: number,
    private readonly maxEvents: number,
  ) {}

  get count(): number {
    return this.times.length;
  }

  /** Bytes of the stream so far (the offset the next chunk starts at). */
  get seen(): number {
    return this.seenBytes;
  }

  /** The next decoded chunk, before the parser sees it. */
  append(chunk: Uint8Array): void {
    this.seenBytes += chunk.length;
    if (this.truncated) return;
    // Bytes beyond the cap could only belong to an event that will not be kept.
    const take = Math.min(chunk.length, this.maxBytes - this.length);
    if (take <= 0) return;
    const need = this.length + take;
    if (need > this.buf.length) {
      // A new buffer, never a rewrite of the old one: a snapshot handed to the store
      // may still be a view of it.
      const grown = new Uint8Array(Math.min(Math.max(need, this.buf.length * 2, INITIAL_BYTES), this.maxBytes));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.length);
    this.length = need;
  }

  /** An event ended at stream offset `end`; false when it did not fit (the log is cut). */
  keep(t: number, end: number, name: string | null): boolean {
    if (this.truncated) return false;
    if (this.times.length >= this.maxEvents || end > this.maxBytes || end > this.length) {
      this.truncated = true;
      return false;
    }
    this.times.push(t);
    this.ends.push(end);
    this.names.push(name);
    this.kept = end;
    return true;
  }

  /** The whole events so far. The bytes are a view (never rewritten: appends go past
   * them, growth copies); the arrays are copies. */
  snapshot(): EventLog {
    return { bytes: this.buf.subarray(0, this.kept), times: this.times.slice(), ends: this.ends.slice() };
  }
}

/** An SSE text for events handed over as RawEvent[] (records inserted whole, old
 * exports): re-parsing it gives them back, except for a CR inside data or a newline in
 * an event name, which SSE cannot carry (no parsed event has either). */
export function logFromEvents(events: readonly RawEvent[]): EventLog {
  const parts: string[] = [];
  const times: number[] = [];
  const ends: number[] = [];
  let bytes = 0;
  for (const e of events) {
    const text = `${e.event !== null ? `event: ${e.event}\n` : ''}data: ${e.data.replace(/\n/g, '\ndata: ')}\n\n`;
    parts.push(text);
    bytes += Buffer.byteLength(text, 'utf8');
    times.push(e.t);
    ends.push(bytes);
  }
  return { bytes: Buffer.from(parts.join(''), 'utf8'), times, ends };
}

/** The event_times column: see the file comment. */
export function encodeTimes(log: EventLog): Buffer {
  // Two varints of at most 8 bytes each (values below 2^53).
  const out = Buffer.allocUnsafe(log.times.length * 16);
  let at = 0;
  let prevT = 0;
  let prevEnd = 0;
  for (let i = 0; i < log.times.length; i++) {
    const units = Math.round(log.times[i]! * TIME_UNITS_PER_MS);
    at = writeVarint(out, at, zigzag(units - prevT));
    prevT = units;
    const end = log.ends[i] ?? prevEnd;
    at = writeVarint(out, at, Math.max(0, end - prevEnd));
    prevEnd = end;
  }
  return Buffer.from(out.subarray(0, at));
}

export function decodeTimes(buf: Uint8Array): { times: number[]; ends: number[] } {
  const times: number[] = [];
  const ends: number[] = [];
  let at = 0;
  let t = 0;
  let end = 0;
  while (at < buf.length) {
    const dt = readVarint(buf, at);
    const de = readVarint(buf, dt.next);
    at = de.next;
    t += unzigzag(dt.value);
    end += de.value;
    times.push(t / TIME_UNITS_PER_MS);
    ends.push(end);
  }
  return { times, ends };
}

/** The events of an event log as stored (see the file comment for the two forms). */
export function eventsFromStored(log: Uint8Array | string | null, times: Uint8Array | string | null): RawEvent[] {
  if (log === null || log.length === 0) return [];
  const bytes = typeof log === 'string' ? Buffer.from(log, 'utf8') : brotliDecompressSync(log);
  let t: number[];
  if (times === null) t = [];
  else if (typeof times === 'string') t = JSON.parse(times) as number[];
  else t = decodeTimes(times).times;
  return eventsFromLog(bytes, t);
}

/** The events of a log: its bytes re-parsed, each given its arrival time. */
export function eventsFromLog(bytes: Uint8Array, times: readonly number[]): RawEvent[] {
  const parser = new SseParser();
  const parsed = parser.push(bytes);
  for (const ev of parser.end()) parsed.push(ev);
  const out: RawEvent[] = [];
  let t = 0;
  for (let i = 0; i < parsed.length; i++) {
    const ev = parsed[i]!;
    // Never fewer times than events in a log this module wrote; a hand-made one keeps the last time.
    t = times[i] ?? t;
    out.push({ t, event: ev.event, data: ev.data });
  }
  return out;
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

// Plain arithmetic, not bit operators: a delta may pass 2^31 (a stream hours long, or
// times handed over by a caller).
function writeVarint(out: Buffer, at: number, n: number): number {
  let v = n;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

function readVarint(buf: Uint8Array, from: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let at = from;
  for (;;) {
    const b = buf[at++];
    if (b === undefined) return { value, next: at };
    value += (b & 0x7f) * scale;
    if (b < 0x80) return { value, next: at };
    scale *= 0x80;
  }
}
