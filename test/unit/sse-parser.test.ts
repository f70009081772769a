import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src-main/core/recorder/sse-parser.js';
import type { SseEvent } from '../../src-main/core/recorder/types.js';

const enc = new TextEncoder();
const FIXTURES = new URL('../fixtures/transcripts/', import.meta.url);

/** Feeds the chunks in order and flushes at the end, as the recorder does. */
function parse(chunks: (string | Uint8Array)[], parser = new SseParser()): SseEvent[] {
  const events: SseEvent[] = [];
  for (const c of chunks) events.push(...parser.push(typeof c === 'string' ? enc.encode(c) : c));
  events.push(...parser.end());
  return events;
}

const ev = (data: string, event: string | null = null, id: string | null = null): SseEvent => ({ event, data, id });

describe('SseParser: the event stream format', () => {
  it('parses the spec edge-case transcript: BOM, comments, retry, no-space and bare fields, unknown fields, persistent ids', () => {
    const bytes = readFileSync(new URL('sse-spec-edge-cases.sse', FIXTURES));
    expect(parse([bytes])).toEqual([
      ev('{"a":1}', 'first', '1'),
      ev('no-space\n two spaces keep one\n\nlast line', null, '1'),
      // the event with no data was not dispatched, but its id became the last event id
      ev('after unknown 🎉 中文', null, '2'),
      ev('line one\nline two', 'multi', '3'),
      // the file ends without a blank line: end() dispatches the last event
      ev('final event without blank line', null, '3'),
    ]);
  });

  it('ignores comment lines, including keep-alives between events', () => {
    expect(parse([': OPENROUTER PROCESSING\n\n: ping\ndata: a\n: inside an event\ndata: b\n\n:\n\n'])).toEqual([ev('a\nb')]);
  });

  it('joins multi-line data with a newline and keeps empty data lines', () => {
    expect(parse(['data: one\ndata:\ndata: three\n\n'])).toEqual([ev('one\n\nthree')]);
  });

  it('strips exactly one space after the colon', () => {
    expect(parse(['data:x\n\ndata: x\n\ndata:  x\n\n'])).toEqual([ev('x'), ev('x'), ev(' x')]);
  });

  it('keeps colons inside the value', () => {
    expect(parse(['data: {"url":"http://a:1/b"}\n\n'])).toEqual([ev('{"url":"http://a:1/b"}')]);
  });

  it('does not dispatch an event that has no data lines', () => {
    expect(parse(['event: ping\n\nevent: x\nid: 9\n\n'])).toEqual([]);
  });

  it('reports an empty event field as no event name', () => {
    expect(parse(['event:\ndata: a\n\n'])).toEqual([ev('a')]);
  });

  it('ignores an id that contains NUL, keeping the previous one', () => {
    expect(parse(['id: 1\ndata: a\n\nid: x\u0000y\ndata: b\n\n'])).toEqual([ev('a', null, '1'), ev('b', null, '1')]);
  });

  it('treats LF, CRLF and lone CR line endings alike', () => {
    const lf = parse(['event: e\ndata: a\ndata: b\n\ndata: c\n\n']);
    expect(lf).toEqual([ev('a\nb', 'e'), ev('c')]);
    expect(parse(['event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n'])).toEqual(lf);
    expect(parse(['event: e\rdata: a\rdata: b\r\rdata: c\r\r'])).toEqual(lf);
  });

  it('treats a CR at the end of one chunk and a LF at the start of the next as one line ending', () => {
    // Were the LF taken as a second terminator, it would end the event after "a".
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([ev('a\nb')]);
  });

  it('treats LF then CR as two line endings (a blank line)', () => {
    expect(parse(['data: a\n\rdata: b\n\n'])).toEqual([ev('a'), ev('b')]);
  });

  it('survives a split at every byte offset, including inside multi-byte characters', () => {
    const text = 'event: 東京\ndata: 🌧️ über 中文 😀\r\n\r\ndata: ok\n\n';
    const bytes = enc.encode(text);
    const whole = parse([bytes]);
    expect(whole).toEqual([ev('🌧️ über 中文 😀', '東京'), ev('ok')]);
    for (let i = 0; i <= bytes.length; i++) {
      expect(parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    }
    expect(parse(Array.from(bytes, (b) => Uint8Array.of(b)))).toEqual(whole);
  });

  it('dispatches a final event that has no trailing blank line, or no line ending at all', () => {
    const p = new SseParser();
    expect(p.push(enc.encode('data: first\n\ndata: last\n'))).toEqual([ev('first')]);
    expect(p.end()).toEqual([ev('last')]);
    expect(parse(['data: {"type":"message_stop"}'])).toEqual([ev('{"type":"message_stop"}')]);
  });

  it('strips a BOM at the start of the stream, even when split across chunks, and nowhere else', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    expect(parse([bom.subarray(0, 1), bom.subarray(1), 'data: a\n\n'])).toEqual([ev('a')]);
    // A BOM later is part of the field name, which is then unknown.
    expect(parse(['data: a\n\n', bom, 'data: b\n\n'])).toEqual([ev('a')]);
  });

  it('copies kept bytes, so a caller reusing its buffer cannot corrupt a pending line', () => {
    const p = new SseParser();
    const buf = Buffer.from('data: abc');
    expect(p.push(buf)).toEqual([]);
    buf.fill(0x78);
    expect(p.push(enc.encode('\n\n'))).toEqual([ev('abc')]);
  });

  it('starts over after end(): a new stream may begin with a BOM and has no last event id', () => {
    const p = new SseParser();
    parse(['id: 5\ndata: a\n\n'], p);
    expect(parse([Uint8Array.of(0xef, 0xbb, 0xbf), 'data: b\n\n'], p)).toEqual([ev('b')]);
  });
});

describe('SseParser: memory bounds', () => {
  it('drops a line longer than maxLineBytes and counts it, arriving in one chunk', () => {
    const p = new SseParser({ maxLineBytes: 64 });
    const events = parse([`data: ok1\n\ndata: ${'x'.repeat(100)}\n\ndata: ok2\n\n`], p);
    expect(events).toEqual([ev('ok1'), ev('ok2')]);
    expect(p.droppedLines).toBe(1);
  });

  it('drops an overlong line split over many chunks without keeping its bytes, and counts it once', () => {
    const p = new SseParser({ maxLineBytes: 64 });
    const chunks = ['data: ok1\n\ndata: ', ...Array.from({ length: 50 }, () => 'y'.repeat(10)), '\n\ndata: ok2\n\n'];
    expect(parse(chunks, p)).toEqual([ev('ok1'), ev('ok2')]);
    expect(p.droppedLines).toBe(1);
  });

  it('drops the rest of an overlong line up to a CR line ending too', () => {
    const p = new SseParser({ maxLineBytes: 16 });
    expect(parse([`data: ${'z'.repeat(40)}`, 'zz\r', '\rdata: ok\r\r'], p)).toEqual([ev('ok')]);
    expect(p.droppedLines).toBe(1);
  });

  it('keeps a line of exactly maxLineBytes', () => {
    const line = `data: ${'a'.repeat(58)}`; // 64 bytes
    const p = new SseParser({ maxLineBytes: 64 });
    expect(parse([line.slice(0, 30), line.slice(30), '\n\n'], p)).toEqual([ev('a'.repeat(58))]);
    expect(p.droppedLines).toBe(0);
  });

  it('drops an event whose data lines together exceed the cap (a stream that never sends a blank line)', () => {
    const p = new SseParser({ maxLineBytes: 64 });
    const lines = Array.from({ length: 10 }, (_, i) => `data: ${String(i).repeat(10)}\n`).join('');
    expect(parse([lines, '\ndata: next\n\n'], p)).toEqual([ev('next')]);
    expect(p.droppedLines).toBe(10);
  });

  it('joins a 6 MiB line fed in 1 KiB chunks in linear time', () => {
    const size = 6 * 1024 * 1024;
    const piece = enc.encode('q'.repeat(1024));
    const p = new SseParser();
    const started = performance.now();
    const out: SseEvent[] = [...p.push(enc.encode('data: '))];
    for (let i = 0; i < size / 1024; i++) out.push(...p.push(piece));
    out.push(...p.push(enc.encode('\n\n')));
    const elapsed = performance.now() - started;
    expect(out).toHaveLength(1);
    expect(out[0]!.data.length).toBe(size);
    // Re-scanning or re-copying the growing buffer per chunk would move ~18 GB here.
    expect(elapsed).toBeLessThan(3000);
  });

  it('parses 100,000 events delivered in one chunk', () => {
    const body = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'.repeat(100_000);
    const events = parse([body]);
    expect(events).toHaveLength(100_000);
    expect(events[99_999]).toEqual(ev('{"choices":[{"delta":{"content":"hi"}}]}'));
  });
});
