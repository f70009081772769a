// The store's queue of writes not yet handed to the writer: one operation per record,
// in the order records were first queued. An update to a queued record merges into it
// (an insert absorbs its patches, patches merge into one), so a stream's hundred
// checkpoints between two flushes cost one write. Pure data: no SQLite, no timers;
// the store decides when to take a batch and what to do when writing it fails.

import type { RequestRecord } from '../../common/record.js';
import type { EventLog, RecordPatch } from '../recorder/event-log.js';

/** A queued record: a full row to upsert (with the event log patched into it, if any),
 * or the fields to change. */
export type QueuedOp =
  | { kind: 'insert'; rec: RequestRecord & { eventLog?: EventLog } }
  /** `final`: the patch settles the outcome; losing it would leave the row looking live */
  | { kind: 'update'; patch: RecordPatch; final: boolean };

export type QueuedEntry = [id: string, op: QueuedOp];

/** Characters of large text one write batch carries (about 8 MiB). */
export const BATCH_TEXT_CHARS = 8 * 1024 * 1024;

export class WriteQueue {
  private readonly ops = new Map<string, QueuedOp>();
  // Eviction order when the queue is full: plain checkpoints first, then final
  // updates, inserts last. Sets keep insertion order, so first() is the oldest.
  private readonly checkpointIds = new Set<string>();
  private readonly finalIds = new Set<string>();

  /** `maxSize`: operations kept; trim() drops the excess */
  constructor(private readonly maxSize: number) {}

  get size(): number {
    return this.ops.size;
  }

  get(id: string): QueuedOp | undefined {
    return this.ops.get(id);
  }

  has(id: string): boolean {
    return this.ops.has(id);
  }

  ids(): IterableIterator<string> {
    return this.ops.keys();
  }

  /** Queues a full record; it supersedes whatever was queued for it (the write is an upsert). */
  insert(rec: RequestRecord): void {
    if (this.ops.has(rec.id)) {
      this.checkpointIds.delete(rec.id);
      this.finalIds.delete(rec.id);
    }
    // A shallow copy, so later patches merge into the queue's copy, not the caller's object.
    this.ops.set(rec.id, { kind: 'insert', rec: { ...rec } });
  }

  /** Queues a change, merged into what is queued for the record; false when the patch
   * changes nothing (no defined field but `id`). */
  update(id: string, patch: RecordPatch): boolean {
    const op = this.ops.get(id);
    // Merged in place: the queued record and patches are the queue's own copies, and
    // building new objects on every checkpoint is measurable on the request path.
    if (op?.kind === 'insert') {
      // insert then update before a flush: one INSERT with the merged record
      return assignDefined(op.rec, patch) > 0;
    }
    if (op?.kind === 'update') {
      if (assignDefined(op.patch, patch) === 0) return false;
      if (!op.final && isFinalPatch(patch)) {
        op.final = true;
        this.checkpointIds.delete(id);
        this.finalIds.add(id);
      }
      return true;
    }
    const clean = cleanPatch(patch);
    if (Object.keys(clean).length === 0) return false;
    this.put(id, { kind: 'update', patch: clean, final: isFinalPatch(clean) });
    return true;
  }

  /** Drops operations beyond the bound, least valuable first; returns how many went. */
  trim(): number {
    let dropped = 0;
    while (this.ops.size > this.maxSize) {
      const victim = first(this.checkpointIds) ?? first(this.finalIds) ?? first(this.ops.keys());
      if (victim === undefined) break;
      this.remove(victim);
      dropped++;
    }
    return dropped;
  }

  /**
   * The next batch, oldest first, without taking it off the queue (see take()). Large
   * texts are encoded for the writer thread on the caller's thread: a batch takes them
   * up to `maxTextChars`, so ten large bodies finishing together cost ten short pauses
   * rather than one long one. A batch holds at least one operation.
   */
  peekBatch(maxTextChars: number = BATCH_TEXT_CHARS): QueuedEntry[] {
    const batch: QueuedEntry[] = [];
    let chars = 0;
    for (const entry of this.ops) {
      if (batch.length > 0 && chars >= maxTextChars) break;
      batch.push(entry);
      chars += textChars(entry[1]);
    }
    return batch;
  }

  /** Takes a batch from peekBatch() off the queue. */
  take(batch: readonly QueuedEntry[]): void {
    if (batch.length === this.ops.size) this.clear();
    else for (const [id] of batch) this.remove(id);
  }

  /** A failed batch goes back in front of what was queued since, merged per record. */
  requeue(older: readonly QueuedEntry[]): void {
    const newer = new Map(this.ops);
    this.clear();
    for (const [id, op] of older) {
      const next = newer.get(id);
      newer.delete(id);
      if (!next || next.kind === 'insert') this.put(id, next ?? op);
      else if (op.kind === 'insert') this.put(id, { kind: 'insert', rec: { ...op.rec, ...next.patch } });
      else this.put(id, { kind: 'update', patch: { ...op.patch, ...next.patch }, final: op.final || next.final });
    }
    for (const [id, op] of newer) this.put(id, op);
  }

  clear(): void {
    this.ops.clear();
    this.checkpointIds.clear();
    this.finalIds.clear();
  }

  private put(id: string, op: QueuedOp): void {
    this.ops.set(id, op);
    if (op.kind === 'update') (op.final ? this.finalIds : this.checkpointIds).add(id);
  }

  private remove(id: string): void {
    this.ops.delete(id);
    this.checkpointIds.delete(id);
    this.finalIds.delete(id);
  }
}

/** The long texts an operation writes (request and response bodies, answer, reasoning,
 * the event log's bytes). */
function textChars(op: QueuedOp): number {
  const r = op.kind === 'insert' ? op.rec : op.patch;
  return (
    (r.requestBody?.text.length ?? 0) +
    (r.responseBody?.text.length ?? 0) +
    (r.responseText?.length ?? 0) +
    (r.responseReasoning?.length ?? 0) +
    (r.eventLog?.bytes.length ?? 0)
  );
}

function isFinalPatch(patch: RecordPatch): boolean {
  return patch.outcome !== undefined && patch.outcome !== 'in_progress';
}

/** Copies the patch's defined fields (not `id`) onto `target`; returns how many. */
function assignDefined(target: RecordPatch, patch: RecordPatch): number {
  let n = 0;
  for (const k in patch) {
    const v = (patch as Record<string, unknown>)[k];
    if (v !== undefined && k !== 'id') {
      (target as Record<string, unknown>)[k] = v;
      n++;
    }
  }
  return n;
}

/** A copy without `id` and without keys set to undefined (absent = unchanged). */
function cleanPatch(patch: RecordPatch): RecordPatch {
  const out: Record<string, unknown> = {};
  for (const k in patch) {
    const v = (patch as Record<string, unknown>)[k];
    if (v !== undefined && k !== 'id') out[k] = v;
  }
  return out as RecordPatch;
}

function first<T>(it: Iterable<T>): T | undefined {
  for (const v of it) return v;
  return undefined;
}
