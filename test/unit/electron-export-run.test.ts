// export.run in the desktop app: the file is the one the save dialog returned (the
// renderer cannot name a path), a canceled dialog writes nothing, the records stream
// into the file with progress events, and a failed export leaves no partial file.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import type { LiveEvent } from '../../src-main/common/contract.js';
import type { RecordFilter, RequestRecord } from '../../src-main/common/record.js';
import type { Store } from '../../src-main/core/db/store.js';
import { exportFileName } from '../../src-main/common/contract.js';
import { createExportRun } from '../../src-main/electron/export-dialog.js';
import { createReadApi } from '../../src-main/core/api-model.js';

vi.mock('electron', () => ({}));

function record(id: string, startedAt: number): RequestRecord {
  return {
    id,
    startedAt,
    endedAt: startedAt + 1200,
    client: 'Claude Code 2.0.14',
    clientVersion: '2.0.14',
    userAgent: 'claude-cli/2.0.14',
    sessionId: 's1',
    sessionInferred: false,
    turnId: id,
    attempt: 1,
    turnFingerprint: null,
    conversation: null,
    credentialFingerprint: 'fp',
    upstream: 'anthropic',
    upstreamUrl: 'https://api.anthropic.com/v1/messages',
    api: 'messages',
    method: 'POST',
    path: '/v1/messages',
    model: 'claude-sonnet-4-5',
    responseModel: 'claude-sonnet-4-5',
    stream: true,
    httpStatus: 200,
    outcome: 'completed',
    phase: 'complete',
    stopReason: 'end_turn',
    truncated: false,
    error: null,
    errorMessage: null,
    diagnosis: 'Completed normally.',
    evidence: { closeSide: 'none', errorCode: null, eventsSeen: 3, lastEvent: 'message_stop', terminalEventSeen: true, usageSeen: true, bytesToClient: 300 },
    timings: { firstByteMs: 100, ttftMs: 200, lastEventMs: 1100, durationMs: 1200 },
    usage: { inputTokens: 10, outputTokens: 5, reasoningTokens: null, cachedTokens: null, totalTokens: 15, estimated: false },
    eventCount: 3,
    badJsonEvents: 0,
    bytesIn: 50,
    bytesOut: 300,
    retryCount: null,
    requestHeaders: { 'x-api-key': 'sk-…abcd' },
    requestBody: { text: '{"model":"claude-sonnet-4-5"}', bytes: 29, truncated: false },
    responseHeaders: { 'content-type': 'text/event-stream' },
    responseText: 'Hello',
    responseReasoning: '',
    toolCalls: [],
    responseBody: null,
    events: [],
    eventsTruncated: false,
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-export-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function setup(dialogResult: SaveDialogReturnValue, records: RequestRecord[] | (() => Generator<RequestRecord>)) {
  const iterate = vi.fn((_filter: RecordFilter, _order?: 'asc' | 'desc') =>
    typeof records === 'function' ? records() : records[Symbol.iterator](),
  );
  const store = { iterate, written: () => Promise.resolve(true) } as unknown as Store;
  const events: LiveEvent[] = [];
  const showSaveDialog = vi.fn(async (_o: SaveDialogOptions) => dialogResult);
  const run = createExportRun({
    showSaveDialog,
    exportRecords: (args) => createReadApi({ store, seq: () => 0, liveDetail: () => null }).export(args),
    push: (e) => events.push(e),
    defaultDir: () => '/home/me/Downloads',
    now: () => new Date(2025, 0, 31, 14, 5),
  });
  return { run, iterate, events, showSaveDialog };
}

describe('export.run (Electron)', () => {
  it('returns canceled and writes nothing when the dialog is canceled', async () => {
    const { run, iterate, events } = setup({ canceled: true, filePath: '' }, [record('a', 1)]);
    expect(await run({ filter: {}, format: 'json', exportId: 'e1' })).toEqual({ status: 'canceled' });
    expect(iterate).not.toHaveBeenCalled();
    expect(events).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('writes the filtered records to the path the dialog returned, and reports progress', async () => {
    const file = path.join(dir, 'chosen.json');
    const { run, iterate, events, showSaveDialog } = setup({ canceled: false, filePath: file }, [record('a', 1000), record('b', 2000)]);
    const filter: RecordFilter = { outcome: ['completed'], model: ['claude-sonnet-4-5'] };
    const result = await run({ filter, format: 'json', exportId: 'e2' });
    expect(result).toEqual({ status: 'saved', count: 2, path: file });
    expect(iterate).toHaveBeenCalledWith(filter, 'asc');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc.formatVersion).toBe(1);
    expect(doc.records.map((r: { id: string }) => r.id)).toEqual(['a', 'b']);
    expect(events.at(-1)).toEqual({ type: 'export.progress', exportId: 'e2', written: 2, done: true });
    // The dialog proposes a dated name in Downloads with the format's extension.
    const options = showSaveDialog.mock.calls[0]![0];
    expect(options.defaultPath).toBe(path.join('/home/me/Downloads', 'streamtap-2025-01-31-1405.json'));
    expect(options.filters).toEqual([{ name: 'JSON', extensions: ['json'] }]);
  });

  it('writes JSON Lines, one record per line', async () => {
    const file = path.join(dir, 'out.jsonl');
    const { run } = setup({ canceled: false, filePath: file }, [record('a', 1000), record('b', 2000), record('c', 3000)]);
    expect(await run({ filter: {}, format: 'jsonl', exportId: 'e3' })).toMatchObject({ status: 'saved', count: 3 });
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['a', 'b', 'c']);
  });

  it('removes the partial file and rejects when reading the records fails', async () => {
    const file = path.join(dir, 'broken.json');
    const { run, events } = setup({ canceled: false, filePath: file }, function* () {
      yield record('a', 1);
      throw new Error('database disk image is malformed');
    });
    await expect(run({ filter: {}, format: 'json', exportId: 'e4' })).rejects.toThrow(/database disk image is malformed/);
    expect(fs.existsSync(file)).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'export.progress', exportId: 'e4', done: true });
  });

  it('rejects with a clear message when the chosen file cannot be written', async () => {
    const file = path.join(dir, 'no-such-folder', 'x.json');
    const { run } = setup({ canceled: false, filePath: file }, [record('a', 1)]);
    await expect(run({ filter: {}, format: 'json', exportId: 'e5' })).rejects.toThrow(/cannot write/);
  });

  it('names files by date with the format extension', () => {
    expect(exportFileName('har', new Date(2024, 11, 3, 9, 7))).toBe('streamtap-2024-12-03-0907.har');
  });
});
