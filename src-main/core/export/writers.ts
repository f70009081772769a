// Streaming export writers: JSON (one document with a header and a records array),
// JSON Lines (one ExportRecord per line) and HAR 1.2 (entries mapped in har.ts). Used by the CLI, the dashboard's HTTP API and
// the Electron save dialog, so they write to any Node writable (file, stdout, HTTP
// response) and never build the whole output in memory:
// - records are pulled one at a time from the iterable (the store's cursor),
// - output is written in ~64 KiB chunks and, when the writable says it is full, the
//   writer waits for 'drain' before pulling more records,
// - every ~200 records the writer yields to the event loop, so a 100k-record export
//   run inside the proxy's process does not stall the streams it is recording.
// The writers never end `out`: the caller owns it (stdout must stay open, an HTTP
// response may get a trailer).

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ExportFormat } from '../../common/contract.js';
import type { RecordFilter, RequestRecord } from '../../common/record.js';
import { toHarEntry } from './har.js';
import { FORMAT_VERSION, toExportFilters, toExportRecord } from './record-export.js';

export interface ExportMeta {
  filters: RecordFilter;
  /** defaults to now */
  exportedAt?: Date;
  /** include each record's raw SSE event log (large) */
  includeEvents?: boolean;
  /** called every PROGRESS_EVERY records and once at the end with the final count */
  onProgress?: (n: number) => void;
}

export interface ExportResult {
  count: number;
}

export type RecordSource = Iterable<RequestRecord> | AsyncIterable<RequestRecord>;

export const PROGRESS_EVERY = 500;
export const YIELD_EVERY = 200;
/** Characters gathered before one write: big enough that a 100k export is a few thousand
 * writes, small enough that memory stays bounded whatever the record count. */
export const FLUSH_CHARS = 64 * 1024;

/** Buffers small strings into chunks and writes them with backpressure. It listens for
 * 'error' and 'close' for the whole export so a reader that goes away (an HTTP client
 * that disconnects, a closed pipe) fails the export instead of leaving it waiting for a
 * 'drain' that will never come. */
export class ExportSink {
  private buf = '';
  private failure: Error | null = null;
  private waiter: { resolve: () => void; reject: (e: Error) => void } | null = null;

  private readonly onDrain = (): void => {
    const w = this.waiter;
    this.waiter = null;
    w?.resolve();
  };
  private readonly onError = (err: unknown): void => {
    this.fail(err instanceof Error ? err : new Error(String(err)));
  };
  private readonly onClose = (): void => {
    this.fail(new Error('the export output was closed before the export finished'));
  };

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('drain', this.onDrain);
    out.on('error', this.onError);
    out.on('close', this.onClose);
  }

  async write(s: string): Promise<void> {
    this.buf += s;
    if (this.buf.length >= FLUSH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    this.check();
    if (this.buf === '') return;
    const chunk = this.buf;
    this.buf = '';
    const ok = this.out.write(chunk, (err) => {
      if (err) this.fail(err);
    });
    if (!ok) await this.waitForDrain();
    this.check();
  }

  /** Removes the listeners; call once, whether the export succeeded or not. */
  dispose(): void {
    this.out.removeListener('drain', this.onDrain);
    this.out.removeListener('error', this.onError);
    this.out.removeListener('close', this.onClose);
    this.buf = '';
  }

  private waitForDrain(): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
    // A stream destroyed before we started emits no further 'close'; writing to it
    // would only fail in a callback.
    const state = this.out as { destroyed?: boolean; writableEnded?: boolean };
    if (state.destroyed || state.writableEnded) {
      const err = new Error('the export output is already closed');
      this.fail(err);
      throw err;
    }
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.failure);
  }
}

export interface StreamExportParts<T> {
  /** written before the first record */
  head: string;
  /** maps one record to its output item (pure; may throw on a corrupt record) */
  map: (r: RequestRecord) => T;
  /** renders one item; `index` is 0 for the first record */
  render: (item: T, index: number) => string;
  /** written after the last record */
  tail: (count: number) => string;
}

/** The shared loop of every writer: pull, render, write with backpressure, yield,
 * report progress. */
export async function streamExport<T>(
  records: RecordSource,
  out: NodeJS.WritableStream,
  parts: StreamExportParts<T>,
  onProgress?: (n: number) => void,
): Promise<ExportResult> {
  const sink = new ExportSink(out);
  let count = 0;
  let reported = -1;
  try {
    await sink.write(parts.head);
    // for-await also takes a sync iterable; leaving the loop by an exception calls the
    // iterator's return(), which closes the store's cursor.
    for await (const r of records) {
      await sink.write(parts.render(parts.map(r), count));
      count++;
      if (count % PROGRESS_EVERY === 0) {
        onProgress?.(count);
        reported = count;
      }
      if (count % YIELD_EVERY === 0) await yieldToEventLoop();
    }
    await sink.write(parts.tail(count));
    await sink.flush();
  } finally {
    sink.dispose();
  }
  if (reported !== count) onProgress?.(count);
  return { count };
}

/** `{ "formatVersion": 1, "exportedAt", "filters", "records": [...] }`, one record per
 * line so the file is readable and diffs well, and still a single valid JSON document. */
export function writeJsonExport(
  records: RecordSource,
  out: NodeJS.WritableStream,
  meta: ExportMeta,
): Promise<ExportResult> {
  const exportedAt = (meta.exportedAt ?? new Date()).toISOString();
  const head =
    '{\n' +
    `  "formatVersion": ${FORMAT_VERSION},\n` +
    `  "exportedAt": ${JSON.stringify(exportedAt)},\n` +
    `  "filters": ${JSON.stringify(toExportFilters(meta.filters))},\n` +
    '  "records": [';
  return streamExport(
    records,
    out,
    {
      head,
      map: (r) => toExportRecord(r, { includeEvents: meta.includeEvents }),
      render: (rec, i) => `${i === 0 ? '\n' : ',\n'}    ${JSON.stringify(rec)}`,
      tail: (count) => (count === 0 ? ']\n}\n' : '\n  ]\n}\n'),
    },
    meta.onProgress,
  );
}

/** One complete ExportRecord JSON per line, no header line: for large sets and for
 * line-oriented tools (jq -c, grep, DuckDB's read_json). `meta.filters` is not written. */
export function writeJsonlExport(
  records: RecordSource,
  out: NodeJS.WritableStream,
  meta: ExportMeta,
): Promise<ExportResult> {
  return streamExport(
    records,
    out,
    {
      head: '',
      map: (r) => toExportRecord(r, { includeEvents: meta.includeEvents }),
      render: (rec) => `${JSON.stringify(rec)}\n`,
      tail: () => '',
    },
    meta.onProgress,
  );
}

export interface HarExportMeta extends ExportMeta {
  /** Streamtap's version for `log.creator.version` (HAR requires one); default "unknown" */
  creatorVersion?: string;
}

/** A HAR 1.2 document `{ "log": { version, creator, _streamtap, entries: [...] } }`,
 * streamed one entry per line like the JSON export. */
export function writeHarExport(
  records: RecordSource,
  out: NodeJS.WritableStream,
  meta: HarExportMeta,
): Promise<ExportResult> {
  const exportedAt = (meta.exportedAt ?? new Date()).toISOString();
  const creator = { name: 'Streamtap', version: meta.creatorVersion ?? 'unknown' };
  const streamtap = { formatVersion: FORMAT_VERSION, exportedAt, filters: toExportFilters(meta.filters) };
  const head =
    '{\n' +
    '  "log": {\n' +
    '    "version": "1.2",\n' +
    `    "creator": ${JSON.stringify(creator)},\n` +
    `    "_streamtap": ${JSON.stringify(streamtap)},\n` +
    '    "entries": [';
  return streamExport(
    records,
    out,
    {
      head,
      map: (r) => toHarEntry(r, { includeEvents: meta.includeEvents }),
      render: (entry, i) => `${i === 0 ? '\n' : ',\n'}      ${JSON.stringify(entry)}`,
      tail: (count) => (count === 0 ? ']\n  }\n}\n' : '\n    ]\n  }\n}\n'),
    },
    meta.onProgress,
  );
}

/** The writer for each export format: the CLI, the download and the save dialog all
 * pick from here. */
export const EXPORT_WRITERS: Record<ExportFormat, (records: RecordSource, out: NodeJS.WritableStream, meta: HarExportMeta) => Promise<ExportResult>> = {
  json: writeJsonExport,
  jsonl: writeJsonlExport,
  har: writeHarExport,
};
