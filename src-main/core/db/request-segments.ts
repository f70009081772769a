// Request bodies stored so that a turn keeps only what is new. An agent re-sends its
// whole conversation every turn, so a session's bodies repeat each other almost whole:
// a 50-turn session growing to 200 KB sends ~25 times its last body. Each body is cut
// into parts at its JSON values (jsonValueRanges: each message, each tool, each system
// block, each other top-level value); a part of SEGMENT_MIN_CHARS or more is stored once
// in request_segments / request_segment_texts, keyed by its hash, and the body row keeps
// `request_body_segments`, a JSON list of inline strings (the keys and punctuation
// between parts, and short parts) and segment ids, which concatenated in order give the
// text back byte for byte (request-body-text.ts). The list is a partition of the text
// whatever the scan found, so a body that is not JSON, or is cut, still comes back whole.
//
// Runs on the writer thread (write-runner.ts), inside the batch's transaction: hashing
// and scanning a 200 KB body is a fraction of a millisecond there, and none of it on the
// proxy's thread. Segment reference counts are kept by triggers on request_bodies
// (migration 0004), so a deleted record frees the segments no other body uses.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { jsonValueRanges } from '../recorder/request-sniff.js';

/** Parts shorter than this stay inline in the body's list: a segment row, its index entry
 * and its id cost more than repeating them. */
export const SEGMENT_MIN_CHARS = 128;

/** Bytes of sha256 kept as a segment's key: 128 bits, far from any chance collision. */
const HASH_BYTES = 16;

/** Where a runner's statement carries a request body to store as segments: the text
 * argument is replaced by '' and the segments argument by the body's segment list. */
export interface SegmentedBodyArgs {
  /** index of the statement in its WriteOp */
  stmt: number;
  /** index of the request_body_text argument */
  text: number;
  /** index of the request_body_segments argument */
  segments: number;
}

// Lone surrogates (a string no UTF-8 decoder produces, but a caller may pass): SQLite
// stores each as U+FFFD, as it did when the body was one column, so the inline parts,
// which pass through JSON, are made to say the same.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export class SegmentWriter {
  private readonly find: Database.Statement<[Buffer], number>;
  private readonly insertSegment: Database.Statement<[Buffer]>;
  private readonly insertText: Database.Statement<[number | bigint, string]>;

  constructor(db: Database.Database) {
    this.find = db.prepare<[Buffer], number>('SELECT id FROM request_segments WHERE hash = ?').pluck();
    // refs start at 0: the trigger on the body row that lists the segment counts it.
    this.insertSegment = db.prepare<[Buffer]>('INSERT INTO request_segments (hash, refs) VALUES (?, 0)');
    this.insertText = db.prepare<[number | bigint, string]>('INSERT INTO request_segment_texts (id, text) VALUES (?, ?)');
  }

  /** The body's segment list (JSON), storing the segments not stored yet. */
  store(text: string): string {
    const ranges = jsonValueRanges(text);
    const list: (string | number)[] = [];
    let inlineFrom = 0;
    for (let k = 0; k < ranges.length; k += 2) {
      const start = ranges[k]!;
      const end = ranges[k + 1]!;
      if (end - start < SEGMENT_MIN_CHARS) continue;
      if (start > inlineFrom) list.push(wellFormed(text.slice(inlineFrom, start)));
      list.push(this.segmentId(text.slice(start, end)));
      inlineFrom = end;
    }
    if (inlineFrom < text.length) list.push(wellFormed(text.slice(inlineFrom)));
    return JSON.stringify(list);
  }

  private segmentId(part: string): number {
    const hash = createHash('sha256').update(part, 'utf8').digest().subarray(0, HASH_BYTES);
    const found = this.find.get(hash);
    if (found !== undefined) return found;
    const id = this.insertSegment.run(hash).lastInsertRowid;
    this.insertText.run(id, part);
    return Number(id);
  }
}

function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}

/** Statement arguments with the body's text moved into segments (a copy: a batch retried
 * record by record after a rollback runs its statements again from the original). */
export function segmentArgs(writer: SegmentWriter, args: unknown[], at: SegmentedBodyArgs): unknown[] {
  const text = args[at.text];
  if (typeof text !== 'string') return args;
  const out = args.slice();
  out[at.segments] = writer.store(text);
  out[at.text] = '';
  return out;
}
