// Incremental server-sent-events parser (WHATWG HTML §9.2.6 "Interpreting an event
// stream"), fed the upstream's bytes exactly as they arrived, after the client has them.
//
// Lines are split on bytes, before decoding: CR (0x0D), LF (0x0A) and ':' (0x3A) never
// occur inside a multi-byte UTF-8 sequence, so a chunk boundary anywhere — inside a
// line, inside a character, between the CR and LF of a CRLF — cannot change the
// result, and only the field values are decoded. Splitting on bytes also lets the line
// cap count real bytes. Each byte is scanned once (native indexOf), and a line split
// over many chunks is joined once when it ends, so the work is linear in the input.
//
// A line is read where it lies in the chunk, by offsets: no view object per line, and
// a field value becomes a string by one Buffer decode (the same WHATWG UTF-8 decoding
// as TextDecoder, U+FFFD for bad bytes, a BOM kept). An event name that repeats the
// previous one (Anthropic's and Responses' events all have one) is that same string.
// The proxy's thread runs this for every event of every stream, so what it allocates
// per line is most of what the recorder gives the garbage collector.

import type { SseEvent } from './types.js';

export interface SseParserOptions {
  /** a line (or one event's data) longer than this is dropped and counted; default 8 MiB */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

const EMPTY = Buffer.alloc(0);
const FIELD_DATA = ascii('data');
const FIELD_EVENT = ascii('event');
const FIELD_ID = ascii('id');

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The longest field name the parser acts on ("event"): a colon further in cannot end one. */
const MAX_FIELD_NAME = 5;
/** An event name up to this many bytes is remembered, to reuse its string when it repeats. */
const MAX_REMEMBERED_NAME = 64;

/** Whether `buf[start…end)` holds exactly the bytes of `other`. */
function sameBytes(buf: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (buf[start + i] !== other[i]) return false;
  return true;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function concat(parts: Uint8Array[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class SseParser {
  private readonly maxLineBytes: number;

  /** bytes of the current, unfinished line (copies: the caller may reuse its buffers) */
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  /** inside a line that exceeded the cap: its bytes are discarded up to its end */
  private skippingLine = false;
  /** the last chunk ended with CR: a LF at the start of the next one belongs to it */
  private afterCR = false;
  private firstLine = true;

  /** the current event's first data line, and any further ones */
  private data: string | null = null;
  private moreData: string[] | null = null;
  private dataBytes = 0;
  /** the current event's data exceeded the cap: it is dropped when it ends */
  private eventOverflow = false;
  private eventType: string | null = null;
  /** The spec's "last event ID buffer": it persists across events until changed. */
  private lastEventId: string | null = null;
  /** the last event name decoded, and its bytes */
  private lastName = '';
  private lastNameBytes: Uint8Array = new Uint8Array(0);
  private dropped = 0;

  constructor(options: SseParserOptions = {}) {
    const max = options.maxLineBytes;
    this.maxLineBytes = typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.floor(max) : DEFAULT_MAX_LINE_BYTES;
  }

  /** Lines (and data lines of an overlong event) dropped for exceeding the cap. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** The events the chunk completes. With `ends`, each one's end is pushed to it too:
   * the offset in `chunk` just past the line that dispatched it (the blank line's CR
   * when its LF is in the next chunk), where a log of whole events may be cut. */
  push(bytes: Uint8Array, ends?: number[]): SseEvent[] {
    const out: SseEvent[] = [];
    const chunk = asBuffer(bytes);
    const n = chunk.length;
    let pos = 0;
    if (n === 0) return out;
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk[0] === LF) pos = 1;
    }
    // Cached next-terminator positions: each is searched forward from where the last
    // search ended, so no byte is scanned twice however many lines the chunk holds.
    let nextLF = -2;
    let nextCR = -2;
    while (pos < n) {
      if (nextLF !== -1 && nextLF < pos) nextLF = chunk.indexOf(LF, pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = chunk.indexOf(CR, pos);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -1) {
        this.keepPartial(chunk, pos, n);
        break;
      }
      const before = out.length;
      this.endLine(chunk, pos, end, out);
      if (chunk[end] === CR) {
        if (end + 1 < n) {
          pos = chunk[end + 1] === LF ? end + 2 : end + 1;
        } else {
          this.afterCR = true;
          pos = n;
        }
      } else {
        pos = end + 1;
      }
      // A line dispatches at most one event.
      if (ends && out.length > before) ends.push(pos);
    }
    return out;
  }

  /**
   * The stream ended. A last line without terminator and a last event without the
   * blank line are still dispatched: providers and proxies sometimes omit them. The
   * parser is then back in its initial state.
   */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.partialBytes > 0 && !this.skippingLine) this.endLine(EMPTY, 0, 0, out);
    this.partial = [];
    this.partialBytes = 0;
    this.skippingLine = false;
    this.afterCR = false;
    this.dispatch(out);
    this.firstLine = true;
    this.lastEventId = null;
    return out;
  }

  private keepPartial(chunk: Uint8Array, from: number, to: number): void {
    if (this.skippingLine || from === to) return;
    const size = this.partialBytes + (to - from);
    if (size > this.maxLineBytes) {
      this.dropLine();
      return;
    }
    // A copy, not a view: Buffer#slice would alias memory the caller may reuse.
    const copy = new Uint8Array(to - from);
    copy.set(chunk.subarray(from, to));
    this.partial.push(copy);
    this.partialBytes = size;
  }

  private dropLine(): void {
    this.dropped++;
    this.partial = [];
    this.partialBytes = 0;
    this.skippingLine = true;
    // A dropped line still counts as the first line: a BOM can only start the stream.
    this.firstLine = false;
  }

  /** `buf[start…end)` is the end of a line (all of it when nothing was kept from earlier chunks). */
  private endLine(buf: Buffer, start: number, end: number, out: SseEvent[]): void {
    if (this.skippingLine) {
      this.skippingLine = false;
      return;
    }
    let line = buf;
    let from = start;
    let to = end;
    if (this.partialBytes > 0) {
      const total = this.partialBytes + (end - start);
      if (total > this.maxLineBytes) {
        this.dropLine();
        this.skippingLine = false;
        return;
      }
      this.partial.push(buf.subarray(start, end));
      line = concat(this.partial, total);
      from = 0;
      to = total;
      this.partial = [];
      this.partialBytes = 0;
    } else if (end - start > this.maxLineBytes) {
      this.dropLine();
      this.skippingLine = false;
      return;
    }
    if (this.firstLine) {
      this.firstLine = false;
      if (to - from >= 3 && line[from] === 0xef && line[from + 1] === 0xbb && line[from + 2] === 0xbf) from += 3;
    }
    this.processLine(line, from, to, out);
  }

  private processLine(line: Buffer, start: number, end: number, out: SseEvent[]): void {
    if (start === end) {
      this.dispatch(out);
      return;
    }
    if (line[start] === COLON) return; // comment (keep-alives, OpenRouter's ": OPENROUTER PROCESSING")
    // Only a colon within the first MAX_FIELD_NAME + 1 bytes can end a name the parser
    // acts on; searching further would scan a long colon-less line for nothing.
    let nameEnd = -1;
    const scanTo = Math.min(end, start + MAX_FIELD_NAME + 1);
    for (let i = start; i < scanTo; i++) {
      if (line[i] === COLON) {
        nameEnd = i;
        break;
      }
    }
    let valueStart: number;
    if (nameEnd === -1) {
      // A line with no colon is a field name with an empty value (too long a line can
      // only name a field the parser ignores).
      if (end - start > MAX_FIELD_NAME) return;
      nameEnd = end;
      valueStart = end;
    } else {
      valueStart = nameEnd + 1;
      if (valueStart < end && line[valueStart] === SPACE) valueStart++;
    }
    if (sameBytes(line, start, nameEnd, FIELD_DATA)) {
      const bytes = end - valueStart;
      if (this.eventOverflow || this.dataBytes + bytes > this.maxLineBytes) {
        // One event's data is capped like a line: a stream that never sends a blank
        // line must not grow the buffer without end.
        if (!this.eventOverflow && this.data !== null) this.dropped += 1 + (this.moreData?.length ?? 0);
        this.eventOverflow = true;
        this.data = null;
        this.moreData = null;
        this.dataBytes = 0;
        this.dropped++;
        return;
      }
      const value = line.toString('utf8', valueStart, end);
      if (this.data === null) this.data = value;
      else (this.moreData ??= []).push(value);
      this.dataBytes += bytes + 1;
    } else if (sameBytes(line, start, nameEnd, FIELD_EVENT)) {
      this.eventType = this.name(line, valueStart, end);
    } else if (sameBytes(line, start, nameEnd, FIELD_ID)) {
      const id = line.toString('utf8', valueStart, end);
      if (!id.includes('\0')) this.lastEventId = id;
    }
    // `retry` and unknown fields: ignored (the recorder does not reconnect).
  }

  /** An event name: the last one's string again when the bytes repeat it. */
  private name(line: Buffer, start: number, end: number): string {
    if (sameBytes(line, start, end, this.lastNameBytes)) return this.lastName;
    const name = line.toString('utf8', start, end);
    if (end - start <= MAX_REMEMBERED_NAME) {
      this.lastName = name;
      // A copy: the chunk's memory is the caller's.
      const bytes = new Uint8Array(end - start);
      bytes.set(line.subarray(start, end));
      this.lastNameBytes = bytes;
    }
    return name;
  }

  private dispatch(out: SseEvent[]): void {
    const data = this.data;
    const more = this.moreData;
    const overflow = this.eventOverflow;
    const type = this.eventType;
    this.data = null;
    this.moreData = null;
    this.dataBytes = 0;
    this.eventOverflow = false;
    this.eventType = null;
    // An event with no data lines is not dispatched (spec: empty data buffer).
    if (overflow || data === null) return;
    out.push({
      // An empty `event:` means the default type, reported as none.
      event: type === null || type.length === 0 ? null : type,
      data: more === null ? data : `${data}\n${more.join('\n')}`,
      id: this.lastEventId,
    });
  }
}
