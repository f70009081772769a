// Incremental server-sent-events parser (WHATWG HTML §9.2.6 "Interpreting an event
// stream"), fed the upstream's bytes exactly as they arrived, after the client has them.
//
// Lines are split on bytes, before decoding: CR (0x0D), LF (0x0A) and ':' (0x3A) never
// occur inside a multi-byte UTF-8 sequence, so a chunk boundary anywhere — inside a
// line, inside a character, between the CR and LF of a CRLF — cannot change the
// result, and only the field values are decoded. Splitting on bytes also lets the line
// cap count real bytes. Each byte is scanned once (native indexOf), and a line split
// over many chunks is joined once when it ends, so the work is linear in the input.

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

const FIELD_DATA = ascii('data');
const FIELD_EVENT = ascii('event');
const FIELD_ID = ascii('id');

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function fieldIs(line: Uint8Array, nameEnd: number, field: Uint8Array): boolean {
  if (nameEnd !== field.length) return false;
  for (let i = 0; i < nameEnd; i++) if (line[i] !== field[i]) return false;
  return true;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class SseParser {
  private readonly maxLineBytes: number;
  // The spec strips one BOM at the start of the stream; we do it ourselves on the
  // first line, so the decoder must keep BOMs (each decode() call would strip one).
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /** bytes of the current, unfinished line (copies: the caller may reuse its buffers) */
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  /** inside a line that exceeded the cap: its bytes are discarded up to its end */
  private skippingLine = false;
  /** the last chunk ended with CR: a LF at the start of the next one belongs to it */
  private afterCR = false;
  private firstLine = true;

  private data: string[] = [];
  private dataBytes = 0;
  /** the current event's data exceeded the cap: it is dropped when it ends */
  private eventOverflow = false;
  private eventType: string | null = null;
  /** The spec's "last event ID buffer": it persists across events until changed. */
  private lastEventId: string | null = null;
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
  push(chunk: Uint8Array, ends?: number[]): SseEvent[] {
    const out: SseEvent[] = [];
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
      this.endLine(chunk.subarray(pos, end), out);
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
    if (this.partialBytes > 0 && !this.skippingLine) this.endLine(new Uint8Array(0), out);
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

  /** `tail` is the end of a line (all of it when nothing was kept from earlier chunks). */
  private endLine(tail: Uint8Array, out: SseEvent[]): void {
    if (this.skippingLine) {
      this.skippingLine = false;
      return;
    }
    let line = tail;
    if (this.partialBytes > 0) {
      const total = this.partialBytes + tail.length;
      if (total > this.maxLineBytes) {
        this.dropLine();
        this.skippingLine = false;
        return;
      }
      this.partial.push(tail);
      line = concat(this.partial, total);
      this.partial = [];
      this.partialBytes = 0;
    } else if (line.length > this.maxLineBytes) {
      this.dropLine();
      this.skippingLine = false;
      return;
    }
    if (this.firstLine) {
      this.firstLine = false;
      if (line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) line = line.subarray(3);
    }
    this.processLine(line, out);
  }

  private processLine(line: Uint8Array, out: SseEvent[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line[0] === COLON) return; // comment (keep-alives, OpenRouter's ": OPENROUTER PROCESSING")
    let nameEnd = line.indexOf(COLON);
    let valueStart: number;
    if (nameEnd === -1) {
      // A line with no colon is a field name with an empty value.
      nameEnd = line.length;
      valueStart = line.length;
    } else {
      valueStart = nameEnd + 1;
      if (line[valueStart] === SPACE) valueStart++;
    }
    if (fieldIs(line, nameEnd, FIELD_DATA)) {
      const bytes = line.length - valueStart;
      if (this.eventOverflow || this.dataBytes + bytes > this.maxLineBytes) {
        // One event's data is capped like a line: a stream that never sends a blank
        // line must not grow the buffer without end.
        if (!this.eventOverflow) this.dropped += this.data.length;
        this.eventOverflow = true;
        this.data = [];
        this.dataBytes = 0;
        this.dropped++;
        return;
      }
      this.data.push(this.decode(line, valueStart));
      this.dataBytes += bytes + 1;
    } else if (fieldIs(line, nameEnd, FIELD_EVENT)) {
      this.eventType = this.decode(line, valueStart);
    } else if (fieldIs(line, nameEnd, FIELD_ID)) {
      const id = this.decode(line, valueStart);
      if (!id.includes('\0')) this.lastEventId = id;
    }
    // `retry` and unknown fields: ignored (the recorder does not reconnect).
  }

  private decode(line: Uint8Array, from: number): string {
    return from >= line.length ? '' : this.decoder.decode(line.subarray(from));
  }

  private dispatch(out: SseEvent[]): void {
    const data = this.data;
    const overflow = this.eventOverflow;
    const type = this.eventType;
    this.data = [];
    this.dataBytes = 0;
    this.eventOverflow = false;
    this.eventType = null;
    // An event with no data lines is not dispatched (spec: empty data buffer).
    if (overflow || data.length === 0) return;
    out.push({
      // An empty `event:` means the default type, reported as none.
      event: type === null || type.length === 0 ? null : type,
      data: data.length === 1 ? data[0]! : data.join('\n'),
      id: this.lastEventId,
    });
  }
}
