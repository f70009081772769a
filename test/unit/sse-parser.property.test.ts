// Property tests: however the network cuts the byte stream and whichever line endings
// a server uses, the parser yields the same events.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src-main/core/recorder/sse-parser.js';
import type { SseEvent } from '../../src-main/core/recorder/types.js';
import { split, TRANSCRIPTS } from '../fixtures/sse-transcripts.js';
import { ReferenceSseParser } from '../fixtures/sse-parser-reference.js';

const enc = new TextEncoder();

function parseChunks(chunks: Uint8Array[]): SseEvent[] {
  const p = new SseParser();
  const events: SseEvent[] = [];
  for (const c of chunks) events.push(...p.push(c));
  events.push(...p.end());
  return events;
}


type Ending = '\n' | '\r\n' | '\r';

/**
 * Rewrites every LF-terminated line with the chosen endings. One constraint keeps the
 * meaning: a lone CR followed by an empty line ended by a lone LF would read as one
 * CRLF and lose the blank line, so that pairing is avoided.
 */
function withEndings(text: string, pick: (i: number) => Ending): string {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  let out = '';
  let prev: Ending | null = null;
  lines.forEach((line, i) => {
    let ending = pick(i);
    if (prev === '\r' && line.length === 0 && ending === '\n') ending = '\r\n';
    out += line + ending;
    prev = ending;
  });
  return out + last;
}

const endingMode = fc.oneof(
  fc.constant<(i: number) => Ending>(() => '\n'),
  fc.constant<(i: number) => Ending>(() => '\r\n'),
  fc.constant<(i: number) => Ending>(() => '\r'),
  fc.array(fc.constantFrom<Ending>('\n', '\r\n', '\r'), { minLength: 1, maxLength: 64 }).map((pool) => (i: number) => pool[i % pool.length]!),
);

describe('SseParser properties', () => {
  it('has transcripts with multi-byte characters to split inside', () => {
    expect(TRANSCRIPTS.length).toBeGreaterThanOrEqual(6);
    for (const { file, bytes } of TRANSCRIPTS) {
      // every transcript but the ones that are pure ASCII by design carry emoji or CJK
      if (!file.includes('incomplete')) expect(bytes.some((b) => b >= 0x80), file).toBe(true);
    }
  });

  for (const { file, bytes: whole } of TRANSCRIPTS) {
    it(`${file}: any byte split and any line endings give the unsplit event sequence`, () => {
      const text = Buffer.from(whole).toString('utf8');
      const reference = parseChunks([whole]);
      expect(reference.length).toBeGreaterThan(0);
      fc.assert(
        fc.property(endingMode, fc.array(fc.nat(), { maxLength: 40 }), (pick, cuts) => {
          // Split points land anywhere, including between the bytes of one character
          // and between the CR and LF of a CRLF.
          const bytes = enc.encode(withEndings(text, pick));
          expect(parseChunks(split(bytes, cuts))).toEqual(reference);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('parses generated streams into exactly the events that were written', () => {
    // data lines: any Unicode (astral planes included) except line breaks
    const dataLine = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ''));
    const eventName = fc.option(fc.stringMatching(/^[a-z_.]{1,16}$/), { nil: null });
    const event = fc.record({
      event: eventName,
      lines: fc.array(dataLine, { minLength: 0, maxLength: 4 }),
      comment: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), endingMode, fc.array(fc.nat(), { maxLength: 30 }), (events, pick, cuts) => {
        let text = '';
        for (const e of events) {
          if (e.comment) text += ': keep-alive\n';
          if (e.event !== null) text += `event: ${e.event}\n`;
          for (const line of e.lines) text += `data: ${line}\n`;
          text += '\n';
        }
        const expected = events
          .filter((e) => e.lines.length > 0)
          .map((e) => ({ event: e.event, data: e.lines.join('\n'), id: null }));
        expect(parseChunks(split(enc.encode(withEndings(text, pick)), cuts))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('gives what the parser before byte offsets gave on hostile byte streams, however split and capped', () => {
    // Tokens that make every branch likely: field names whole, cut and run on, colons
    // early and late, BOMs (first line and later), bad and split UTF-8, NUL in ids,
    // every line ending, comments and long lines for the caps.
    const token = fc.constantFrom(
      'data', 'data:', 'data: ', 'event', 'event:', 'event: ', 'id:', 'id: ', 'retry: 5', 'dataa:', 'dat', 'eventx: y',
      ':', ': ping', 'x', 'message_delta', 'content_block_delta', ' ', '\n', '\n', '\r', '\r\n', '\0',
      '\u00e9', '\u{1f600}', '\ufeff', 'abcdefghijklmnop', 'data: ab\n', 'data: ab\ndata: ab\ndata: ab\n', 'event: m\n', 'id: 7\n',
    );
    const rawByte = fc.constantFrom(0xef, 0xbb, 0xbf, 0x80, 0xc3, 0xff, 0xf0, 0x9f);
    const piece = fc.oneof({ arbitrary: token.map((t) => enc.encode(t)), weight: 8 }, { arbitrary: rawByte.map((b) => Uint8Array.of(b)), weight: 1 });
    const stream = fc.array(piece, { maxLength: 120 }).map((parts) => Buffer.concat(parts));
    const options = fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(stream, { minLength: 1, maxLength: 2 }), fc.array(fc.nat(), { maxLength: 20 }), options, (streams, cuts, maxLineBytes) => {
        const opts = maxLineBytes === undefined ? {} : { maxLineBytes };
        const now = new SseParser(opts);
        const before = new ReferenceSseParser(opts);
        // Two streams in a row: end() must leave both in their initial state.
        for (const bytes of streams) {
          for (const chunk of split(bytes, cuts)) {
            const endsNow: number[] = [];
            const endsBefore: number[] = [];
            // A chunk as plain Uint8Array too: the parser is not only fed Buffers.
            const plain = new Uint8Array(chunk);
            expect(now.push(cuts.length % 2 === 0 ? chunk : plain, endsNow)).toEqual(before.push(chunk, endsBefore));
            expect(endsNow).toEqual(endsBefore);
          }
          expect(now.end()).toEqual(before.end());
          expect(now.droppedLines).toBe(before.droppedLines);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
