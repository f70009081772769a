// One request's recording: the record as it stands, fed by the proxy *after* each
// chunk was written to the client. Decoding (gzip/br/zstd), SSE parsing and assembly
// happen here, never before the client has its bytes. Writes go to the store's queue;
// the store batches them off the streaming path.

import { performance } from 'node:perf_hooks';
import { TextDecoder } from 'node:util';
import type { Transform } from 'node:stream';
import {
  emptyEvidence,
  emptyUsage,
  summarize,
  type ApiKind,
  type CapturedBody,
  type EventTicks,
  type RawEvent,
  type RequestRecord,
  type RequestSummary,
} from '../../common/record.js';
import type { Limits } from '../../common/settings.js';
import { SseParser } from './sse-parser.js';
import { EventLogBuilder, type RecordPatch } from './event-log.js';
import { createAssembler, parseNonStreamBody } from './adapters/index.js';
import { parseProviderError } from './provider-error.js';
import { sharedTokenEstimator, type TokenEstimator } from './token-estimator.js';
import type { Assembled, SseEvent, StreamAssembler } from './types.js';
import { classify, diagnose, isLengthStop, type Ending } from './classify.js';
import { decodingFor } from './decoding.js';
import { RequestBodyCapture, type CapturedRequest } from './request-body.js';

export type { RecordPatch } from './event-log.js';

export interface RecordSink {
  insert(rec: RequestRecord): void;
  update(id: string, patch: RecordPatch): void;
  /** places each record in its session and turn; without one (a bare store in tests)
   * every record is a turn of its own */
  readonly linker?: TurnLinker;
}

/** Places records in their agent session and turn (core/sessions/linker.ts). Called
 * off the streaming path, once per record each: link() with the request body once it
 * is on its way upstream (or at the end, with none, for a request whose body was never
 * read), settled() when the record is final. */
export interface TurnLinker {
  /** sets sessionId (when the tool sent none), sessionInferred, turnId, attempt,
   * turnFingerprint and conversation. `body` is the decoded request body and `json` its
   * parse (null when it is not JSON). */
  link(rec: RequestRecord, body: Buffer | null, json: unknown): void;
  settled(rec: RequestRecord): void;
}

export type RecordChange =
  | { kind: 'started'; summary: RequestSummary }
  | { kind: 'progress'; summary: RequestSummary; ticks?: EventTicks }
  | { kind: 'finished'; summary: RequestSummary };

/** At most this many event arrivals go out with one progress change (a gap is re-read by the page). */
export const MAX_TICKS_PER_CHANGE = 2_000;
/** While a stream is live, its event log so far (whole events) is written to the
 * store this often, so a crash (an `interrupted` record) still has its events and
 * timing chart. */
export const EVENTS_STORE_MS = 2_000;
/** An answer up to this many characters (text, reasoning and tool-call arguments) goes
 * to the store with every checkpoint; a longer one only every EVENTS_STORE_MS, with the
 * event log. Rewriting a growing answer five times a second made a long stream's writes
 * grow with the square of its length (a 5-minute reasoning stream of 120 K characters
 * sent 90 M characters of answer, each copy also written into the search statement's
 * JSON, though the index skips a record in progress). A live record's detail
 * reads the answer from the recording (liveDetail), never from these writes. */
export const ANSWER_EVERY_CHECKPOINT_CHARS = 32 * 1024;
const TICK_NAME_CHARS = 64;

/** Times and names of events `from…`, at most `max` of them. */
export function eventTicks(times: readonly number[], names: readonly (string | null)[], from: number, max = Infinity): EventTicks {
  const end = Math.min(times.length, from + max);
  const t: number[] = [];
  const name: (string | null)[] = [];
  for (let i = from; i < end; i++) {
    const n = names[i] ?? null;
    t.push(times[i]!);
    name.push(n === null ? null : n.slice(0, TICK_NAME_CHARS));
  }
  return { from, t, name };
}

/** What a request still in flight shows beyond its stored row: every event's time and
 * name so far (the stored log lags by up to EVENTS_STORE_MS) and the answer as of the
 * last checkpoint (a long one is stored only every EVENTS_STORE_MS). */
export type LiveDetail = Pick<RequestRecord, 'events' | 'responseText' | 'responseReasoning' | 'toolCalls'>;

/** Where live changes go. Asked on every change, so a listener that subscribes while a
 * stream is running gets its progress and its end; with none, no summary is built. */
export interface ChangeSink {
  wanted(): boolean;
  emit(change: RecordChange): void;
}

export interface RecordingInit {
  id: string;
  startedAt: number;
  t0: number; // performance.now() at arrival
  client: string | null;
  clientVersion: string | null;
  userAgent: string | null;
  sessionId: string | null;
  credentialFingerprint: string | null;
  upstream: string;
  upstreamUrl: string;
  api: ApiKind;
  method: string;
  path: string;
  retryCount: number | null;
  requestHeaders: Record<string, string>;
}

const EMPTY_BODY: CapturedBody = { text: '', bytes: 0, truncated: false };
const DECODER_DRAIN_MS = 2_000;

export class Recording {
  readonly record: RequestRecord;
  private readonly t0: number;
  private parser: SseParser | null = null;
  private assembler: StreamAssembler | null = null;
  private decoder: Transform | null = null;
  private decoderFailed = false;
  private undecodable = false;
  // Made on first use: a TextDecoder costs more to build than a small request costs to record.
  private utf8: TextDecoder | null = null;
  private bodyParts: string[] = [];
  private bodyChars = 0;
  private bodyBytes = 0;
  private lastChunkAt = 0;
  /** the kept events of an event-stream response (null for any other) */
  private log: EventLogBuilder | null = null;
  /** each parsed event's end in the chunk being parsed (reused) */
  private readonly chunkEnds: number[] = [];
  /** events already sent as ticks with a progress change */
  private ticksSent = 0;
  /** events last written to the store, and when (ms from arrival) */
  private eventsStored = 0;
  private eventsStoredAt = 0;
  /** when the answer last went to the store with a checkpoint (ms from arrival) */
  private answerStoredAt = 0;
  private dirty = false;
  private finished = false;
  /** set at the end: the event log holds the whole answer (finalPatch) */
  private answerInLog = false;
  /** the final patch has gone to the store */
  private finalSent = false;
  /** setRequestBody() has sent the body: the final patch leaves it out */
  private requestBodySent = false;
  private linked = false;
  /** the response is an event stream (set at its headers); `record.stream` is what the request asked */
  sseResponse = false;

  constructor(
    private readonly sink: RecordSink,
    private readonly limits: Limits,
    private readonly changes: ChangeSink,
    init: RecordingInit,
    private readonly estimator: TokenEstimator = sharedTokenEstimator(),
  ) {
    this.t0 = init.t0;
    // Every field spelled out, no spread: V8 then builds the record with a fixed shape
    // (a spread into a large literal made a slow dictionary object, ~40 µs each).
    this.record = {
      id: init.id,
      startedAt: init.startedAt,
      client: init.client,
      clientVersion: init.clientVersion,
      userAgent: init.userAgent,
      sessionId: init.sessionId,
      sessionInferred: false,
      // Its own turn until the linker has read the body.
      turnId: init.id,
      attempt: 1,
      turnFingerprint: null,
      conversation: null,
      credentialFingerprint: init.credentialFingerprint,
      upstream: init.upstream,
      upstreamUrl: init.upstreamUrl,
      api: init.api,
      method: init.method,
      path: init.path,
      retryCount: init.retryCount,
      requestHeaders: init.requestHeaders,
      endedAt: null,
      model: null,
      responseModel: null,
      stream: false,
      httpStatus: null,
      outcome: 'in_progress',
      phase: null,
      stopReason: null,
      truncated: false,
      error: null,
      errorMessage: null,
      diagnosis: 'Waiting for the provider to answer.',
      evidence: emptyEvidence(),
      timings: { firstByteMs: null, ttftMs: null, lastEventMs: null, durationMs: null },
      usage: emptyUsage(),
      eventCount: 0,
      badJsonEvents: 0,
      bytesIn: 0,
      bytesOut: 0,
      requestBody: EMPTY_BODY,
      responseHeaders: {},
      responseText: '',
      responseReasoning: '',
      toolCalls: [],
      responseBody: null,
      events: [],
      eventsTruncated: false,
    };
  }

  /** The row exists from the moment the request arrives. */
  start(): void {
    this.sink.insert(this.record);
    if (this.changes.wanted()) this.changes.emit({ kind: 'started', summary: summarize(this.record) });
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  /** A capture of the request body as it passes (decoded and kept up to the capture limit). */
  captureRequestBody(contentEncoding: string | undefined): RequestBodyCapture {
    return new RequestBodyCapture(contentEncoding, this.limits.requestBodyBytes);
  }

  /** The request body as captured; model and stream flag come from it. */
  setRequestBody(captured: CapturedRequest, wireBytes: number): void {
    const r = this.record;
    r.bytesIn = wireBytes;
    r.requestBody = captured.body;
    if (captured.model !== null) r.model = captured.model;
    r.stream = r.stream || captured.stream;
    const patch: RecordPatch = { bytesIn: r.bytesIn, requestBody: r.requestBody, model: r.model, stream: r.stream };
    if (this.link(captured.bytes.length > 0 ? captured.bytes : null, linkableJson(captured))) {
      patch.sessionId = r.sessionId;
      patch.sessionInferred = r.sessionInferred;
      patch.turnId = r.turnId;
      patch.attempt = r.attempt;
      patch.turnFingerprint = r.turnFingerprint;
      patch.conversation = r.conversation;
    }
    // After the end (a body read slower than a short answer), a record whose answer is
    // only in its log sends the answer again with it: it is re-indexed for search from a
    // patch's values, never from the row (search-entries.ts).
    if (this.finalSent && this.answerInLog) {
      Object.assign(patch, { responseText: r.responseText, responseReasoning: r.responseReasoning, toolCalls: r.toolCalls, answerInLog: true });
    }
    this.sink.update(r.id, patch);
    this.requestBodySent = true;
  }

  /** Links the record to its session and turn, once; true when it did so now. */
  private link(body: Buffer | null, json: unknown): boolean {
    const linker = this.sink.linker;
    if (!linker || this.linked) return false;
    this.linked = true;
    try {
      linker.link(this.record, body, json);
    } catch {
      // Linking runs outside any request handler (setImmediate): a bug in it must cost
      // the record its turn, never the proxy its process. It stays a turn of its own.
      this.record.turnId = this.record.id;
      this.record.attempt = 1;
    }
    return true;
  }

  /** Streamtap answered the client itself, with `status` (no route, a refused body or
   * upgrade, an upstream it could not reach or that sent no headers): no provider
   * response will start, and the record keeps the status the client got. */
  respondedLocally(status: number): void {
    this.record.httpStatus = status;
  }

  responseStarted(status: number, headers: Record<string, string>, contentType: string, contentEncoding: string): void {
    const r = this.record;
    r.httpStatus = status;
    r.responseHeaders = headers;
    r.timings.firstByteMs = round(this.now());
    this.sseResponse = contentType.includes('text/event-stream');
    if (this.sseResponse) {
      r.stream = true;
      this.parser = new SseParser();
      this.log = new EventLogBuilder(this.limits.eventBytes, this.limits.eventCount);
      this.assembler = createAssembler(status < 400 ? r.api : 'other', { maxChars: this.limits.textChars });
    }
    const decoding = decodingFor(contentEncoding);
    if (decoding.kind === 'decoder') {
      this.decoder = decoding.decoder;
      this.decoder.on('data', (buf: Buffer) => this.consumeDecoded(buf));
      this.decoder.on('error', () => {
        // A broken compressed stream must not break the recording; keep what decoded.
        this.decoderFailed = true;
      });
    } else if (decoding.kind === 'undecodable') {
      this.undecodable = true;
    }
    this.sink.update(r.id, {
      httpStatus: r.httpStatus,
      responseHeaders: r.responseHeaders,
      stream: r.stream,
      timings: { ...r.timings },
    });
    this.dirty = true;
  }

  /** Called after the chunk was written to the client. */
  chunkForwarded(chunk: Buffer): void {
    this.lastChunkAt = this.now();
    this.record.bytesOut += chunk.length;
    this.record.evidence.bytesToClient += chunk.length;
    if (this.decoder) {
      if (!this.decoderFailed) this.decoder.write(chunk);
    } else if (!this.undecodable) {
      this.consumeDecoded(chunk);
    }
  }

  private consumeDecoded(buf: Buffer): void {
    if (this.parser && this.assembler && this.log) {
      const start = this.log.seen;
      this.log.append(buf);
      const ends = this.chunkEnds;
      ends.length = 0;
      const events = this.parser.push(buf, ends);
      for (let i = 0; i < events.length; i++) this.onEvent(this.assembler, events[i]!, start + ends[i]!);
    } else {
      this.bodyBytes += buf.length;
      if (this.bodyChars < this.limits.responseBodyBytes) {
        this.utf8 ??= new TextDecoder('utf-8', { fatal: false });
        const text = this.utf8.decode(buf, { stream: true });
        this.bodyParts.push(text);
        this.bodyChars += text.length;
      }
      if (this.record.timings.ttftMs === null && this.record.httpStatus !== null && this.record.httpStatus < 300) {
        this.record.timings.ttftMs = round(this.lastChunkAt);
      }
    }
    this.dirty = true;
  }

  /** `end`: the event's end offset in the decoded stream. Each event is assembled as
   * it is parsed: nothing of it is held for later, so under many concurrent streams its
   * data dies young instead of being promoted with the streams' state. */
  private onEvent(assembler: StreamAssembler, ev: SseEvent, end: number): void {
    const r = this.record;
    const t = round(this.lastChunkAt);
    r.eventCount++;
    r.timings.lastEventMs = t;
    r.evidence.eventsSeen = r.eventCount;
    if (!r.eventsTruncated && this.log && !this.log.keep(t, end, ev.event)) r.eventsTruncated = true;
    const effect = assembler.onEvent(ev);
    r.evidence.lastEvent = effect.name;
    if (effect.terminal) r.evidence.terminalEventSeen = true;
    if (effect.usage) r.evidence.usageSeen = true;
    if (effect.contentDelta && r.timings.ttftMs === null) r.timings.ttftMs = t;
  }

  private applyAssembled(a: Assembled): void {
    const r = this.record;
    const cap = this.limits.textChars;
    r.responseText = a.text.length > cap ? a.text.slice(0, cap) : a.text;
    r.responseReasoning = a.reasoning.length > cap ? a.reasoning.slice(0, cap) : a.reasoning;
    r.toolCalls = a.toolCalls;
    r.stopReason = a.stopReason;
    r.responseModel = a.responseModel;
    r.badJsonEvents = a.badJson;
    if (a.usage) {
      r.usage = { ...a.usage, estimated: false };
    }
    if (a.streamError) r.error = a.streamError;
    r.evidence.terminalEventSeen = r.evidence.terminalEventSeen || a.terminalSeen;
    r.evidence.usageSeen = r.evidence.usageSeen || a.usageSeen;
  }

  /** Whether the output count must be estimated: the provider reported none, or only a
   * provisional one (Anthropic's message_start carries an output count that is not the
   * answer's size; counts are authoritative once final usage arrived). */
  private needsOutputEstimate(): boolean {
    const r = this.record;
    return !(r.evidence.usageSeen && r.usage.outputTokens !== null && !r.usage.estimated);
  }

  /** While streaming, a cheap count (~4 characters a token) keeps the live display
   * moving without running a BPE tokenizer; marked estimated. */
  private estimateLiveOutput(): void {
    if (!this.needsOutputEstimate()) return;
    const r = this.record;
    const chars = answerChars(r);
    if (chars === 0) return;
    r.usage = { ...r.usage, outputTokens: Math.ceil(chars / 4), estimated: true };
  }

  /** The final count of a record that never got usage: the real tokenizer, once, on the
   * estimator's worker (this waits for it; the client already has every byte). Without
   * a count from it, the record keeps no estimate. */
  private async estimateFinalOutput(): Promise<void> {
    if (!this.needsOutputEstimate()) return;
    const r = this.record;
    const texts = [r.responseText, r.responseReasoning, ...r.toolCalls.map((c) => c.arguments)];
    if (texts.every((t) => t.length === 0)) return;
    const count = await this.estimator.count(texts);
    if (count !== null) r.usage = { ...r.usage, outputTokens: count, estimated: true };
    else if (r.usage.estimated) r.usage = { ...r.usage, outputTokens: null, estimated: false };
  }

  /** Partial content to the store (called every checkpoint interval while live). */
  checkpoint(): void {
    if (!this.dirty || this.finished) return;
    this.dirty = false;
    const r = this.record;
    if (this.assembler) this.applyAssembled(this.assembler.snapshot());
    this.estimateLiveOutput();
    r.diagnosis = diagnose(r);
    // The event log goes with a checkpoint only every EVENTS_STORE_MS (below), and so
    // does a long answer: rewriting either at every checkpoint would cost more than the
    // stream itself.
    const now = this.now();
    const patch: RecordPatch = {
      usage: r.usage,
      stopReason: r.stopReason,
      responseModel: r.responseModel,
      eventCount: r.eventCount,
      badJsonEvents: r.badJsonEvents,
      bytesOut: r.bytesOut,
      evidence: { ...r.evidence },
      timings: { ...r.timings },
      diagnosis: r.diagnosis,
    };
    if (answerChars(r) <= ANSWER_EVERY_CHECKPOINT_CHARS || now - this.answerStoredAt >= EVENTS_STORE_MS) {
      patch.responseText = r.responseText;
      patch.responseReasoning = r.responseReasoning;
      patch.toolCalls = r.toolCalls;
      this.answerStoredAt = now;
    }
    const log = this.log;
    if (log && log.count > this.eventsStored && now - this.eventsStoredAt >= EVENTS_STORE_MS) {
      // The whole events so far: their bytes are compressed on the store's writer
      // thread, so rewriting them every few seconds costs this thread a view and two
      // array copies.
      patch.eventLog = log.snapshot();
      this.eventsStored = log.count;
      this.eventsStoredAt = now;
    }
    this.sink.update(r.id, patch);
    if (this.changes.wanted()) {
      const ticks = log && log.count > this.ticksSent ? eventTicks(log.times, log.names, this.ticksSent, MAX_TICKS_PER_CHANGE) : undefined;
      if (ticks) this.ticksSent = ticks.from + ticks.t.length;
      this.changes.emit(ticks ? { kind: 'progress', summary: summarize(r), ticks } : { kind: 'progress', summary: summarize(r) });
    }
  }

  /** What the live record shows beyond its stored row (LiveDetail). */
  liveDetail(): LiveDetail {
    const r = this.record;
    return { events: this.liveEvents(), responseText: r.responseText, responseReasoning: r.responseReasoning, toolCalls: r.toolCalls };
  }

  /** The events so far with their times and names but empty bodies (a live record's
   * chart, built without parsing the log). */
  liveEvents(): RawEvent[] {
    const log = this.log;
    if (!log) return [];
    const out: RawEvent[] = [];
    for (let i = 0; i < log.count; i++) out.push({ t: log.times[i]!, event: log.names[i] ?? null, data: '' });
    return out;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The whole record, with its event log and whether that holds the answer; without
   * the request body once that was sent: rewriting it would split and hash it again on
   * the writer (~2 ms for an agent's 200 KB turn) for the same segments. */
  private finalPatch(): RecordPatch {
    const r = this.record;
    let patch: RecordPatch = r;
    if (this.requestBodySent) {
      const { requestBody: _sent, ...rest } = r;
      patch = rest;
    }
    if (!this.log) return patch;
    return this.answerInLog ? { ...patch, eventLog: this.log.snapshot(), answerInLog: true } : { ...patch, eventLog: this.log.snapshot() };
  }

  /** Settles the record. Waits (bounded) for the decoder to drain what it holds. */
  async finish(ending: Ending, errorCode: string | null = null, errorMessage: string | null = null): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const r = this.record;
    if (this.decoder && !this.decoderFailed) {
      const d = this.decoder;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, DECODER_DRAIN_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        d.once('end', done);
        d.once('error', done);
        d.once('close', done);
        d.end();
        d.resume();
      });
    }
    if (this.parser && this.assembler && this.log) {
      // An event the end dispatches ends where the stream does.
      for (const ev of this.parser.end()) this.onEvent(this.assembler, ev, this.log.seen);
      const a = this.assembler.snapshot();
      this.applyAssembled(a);
      // The log then holds the answer: every event kept, nothing cut by a cap, and the
      // assembler a reader will use (the record's API; an error status assembles nothing).
      this.answerInLog = !r.eventsTruncated && !a.textTruncated && r.httpStatus !== null && r.httpStatus < 400;
    } else if (r.httpStatus !== null) {
      const tail = this.utf8?.decode() ?? '';
      if (tail) this.bodyParts.push(tail);
      const text = this.bodyParts.join('');
      const cap = this.limits.responseBodyBytes;
      r.responseBody = { text: text.length > cap ? text.slice(0, cap) : text, bytes: this.bodyBytes, truncated: text.length > cap };
      if (r.httpStatus >= 400) {
        r.error = parseProviderError(r.httpStatus, r.responseHeaders, text);
      } else if (text.length > 0 && ending.kind === 'upstream_end' && !r.responseBody.truncated) {
        const a = parseNonStreamBody(r.api, text);
        this.applyAssembled(a);
        r.eventCount = 0;
      }
    }
    if (r.httpStatus !== null && r.httpStatus >= 400 && !r.error) {
      r.error = parseProviderError(r.httpStatus, r.responseHeaders, '');
    }
    if (r.error && r.httpStatus !== null && r.httpStatus >= 400 && r.error.retryAfterS === null) {
      r.error = parseProviderError(r.httpStatus, r.responseHeaders, r.responseBody?.text ?? '');
    }
    // The count runs on the tokenizer's worker while the record is settled here: the
    // outcome, the end time and the session linking never wait for it (classify does
    // not read token counts); only the diagnosis, which names them, and the write do.
    const counted = this.estimateFinalOutput();
    const verdict = classify({
      ending,
      httpStatus: r.httpStatus,
      headersReceived: r.httpStatus !== null,
      sseResponse: this.sseResponse,
      terminalSeen: r.evidence.terminalEventSeen,
      usageSeen: r.evidence.usageSeen,
      streamError: this.sseResponse ? (r.error ?? null) : null,
      bytesToClient: r.evidence.bytesToClient,
      stopReason: r.stopReason,
    });
    r.outcome = verdict.outcome;
    r.phase = verdict.phase;
    r.evidence.closeSide = verdict.closeSide;
    r.evidence.errorCode = errorCode;
    r.errorMessage = errorMessage;
    r.truncated = r.outcome === 'completed' && isLengthStop(r.stopReason);
    r.endedAt = r.startedAt + Math.round(this.now());
    r.timings.durationMs = round(this.now());
    // A request whose body was never read (no route, refused upgrade, client gone during
    // the upload) still belongs to a session and is a turn of its own.
    this.link(null, null);
    // Settled for the linker at once, so a request that follows this one at once (a
    // retry, or the same conversation re-sent after a completed answer) is judged
    // against this outcome, not against a request still in flight.
    try {
      this.sink.linker?.settled(r);
    } catch {
      // as in link(): the record is still written below; only later linking to it may suffer
    }
    await counted;
    r.diagnosis = diagnose(r);
    // The whole record as the final patch: it no longer changes, so the store may keep
    // references to its parts (it copies the top level and skips the id). The events
    // go as the event log; `r.events` stays empty.
    this.sink.update(r.id, this.finalPatch());
    this.finalSent = true;
    if (this.changes.wanted()) this.changes.emit({ kind: 'finished', summary: summarize(r) });
    this.parser = null;
    this.assembler = null;
    this.decoder = null;
    this.bodyParts = [];
  }
}

/** Bodies up to this size are parsed for the session linker (conversation continuity
 * and the title need the messages). A parse costs ~2 ms per MiB on the proxy's thread;
 * a larger or cut body is linked by its bytes alone (its turn fingerprint), never
 * parsed here. */
const LINK_PARSE_MAX_BYTES = 2 * 1024 * 1024;

function linkableJson(c: CapturedRequest): unknown {
  const b = c.bytes;
  if (c.body.truncated || b.length === 0 || b.length > LINK_PARSE_MAX_BYTES) return null;
  if (b[0] !== 0x7b && b[0] !== 0x20 && b[0] !== 0x0a && b[0] !== 0x0d && b[0] !== 0x09) return null;
  try {
    return JSON.parse(c.body.text) as unknown;
  } catch {
    return null;
  }
}

/** Characters of the answer: text, reasoning and every tool call's arguments. */
function answerChars(r: RequestRecord): number {
  return r.responseText.length + r.responseReasoning.length + r.toolCalls.reduce((n, c) => n + c.arguments.length, 0);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
