// The recorder's side of linking: the linker's answer reaches the store with the request
// body, a request whose body is never read is still linked when it settles, and a
// failing linker costs a record its turn, never the recording.

import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src-main/common/record.js';
import { resolveConfig } from '../../src-main/core/config.js';
import { Recording, type RecordSink, type TurnLinker } from '../../src-main/core/recorder/recording.js';

function recording(linker: TurnLinker) {
  const patches: Partial<RequestRecord>[] = [];
  const sink: RecordSink = { insert: () => undefined, update: (_id, patch) => void patches.push({ ...patch }), linker };
  const rec = new Recording(sink, resolveConfig({ dbPath: '' }).limits, { wanted: () => false, emit: () => undefined }, {
    id: 'r1',
    startedAt: 1_000,
    t0: performance.now(),
    client: 'OpenAI/JS 6.3.0',
    clientVersion: '6.3.0',
    userAgent: 'OpenAI/JS 6.3.0',
    sessionId: null,
    credentialFingerprint: 'fp',
    upstream: 'openai',
    upstreamUrl: 'https://api.openai.com/v1/chat/completions',
    api: 'chat.completions',
    method: 'POST',
    path: '/v1/chat/completions',
    retryCount: null,
    requestHeaders: {},
  });
  rec.start();
  return { rec, patches };
}

const BODY = Buffer.from(JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }));

/** The body as the proxy hands it over: captured as it passed, then set. */
async function setBody(rec: Recording, body: Buffer): Promise<void> {
  const capture = rec.captureRequestBody(undefined);
  capture.push(body);
  rec.setRequestBody(await capture.end(), body.length);
}

describe('Recording and its linker', () => {
  it('passes the parsed body to the linker once and writes what it set with the body', async () => {
    const seen: unknown[] = [];
    const settled: string[] = [];
    const { rec, patches } = recording({
      link: (r, body, json) => {
        seen.push([body?.length, json]);
        Object.assign(r, { sessionId: 'inferred:r0', sessionInferred: true, turnId: 'r0', attempt: 2 });
      },
      settled: (r) => void settled.push(`${r.id} ${r.outcome}`),
    });
    await setBody(rec, BODY);
    expect(seen).toEqual([[BODY.length, { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }]]);
    expect(patches.at(-1)).toMatchObject({ sessionId: 'inferred:r0', sessionInferred: true, turnId: 'r0', attempt: 2 });
    rec.responseStarted(200, {}, 'application/json', '');
    rec.chunkForwarded(Buffer.from('{"choices":[]}'));
    await rec.finish({ kind: 'upstream_end' });
    expect(seen).toHaveLength(1);
    expect(settled).toEqual(['r1 completed']);
    expect(patches.at(-1)).toMatchObject({ outcome: 'completed', turnId: 'r0', attempt: 2 });
  });

  it('leaves a request body already written out of the final patch, so the writer does not split it again', async () => {
    const { rec, patches } = recording({ link: () => undefined, settled: () => undefined });
    await setBody(rec, BODY);
    expect(patches.at(-1)!.requestBody).toMatchObject({ text: BODY.toString(), bytes: BODY.length });
    rec.responseStarted(200, {}, 'application/json', '');
    await rec.finish({ kind: 'upstream_end' });
    const final = patches.at(-1)!;
    expect(final.outcome).toBe('completed');
    expect('requestBody' in final).toBe(false);
    // a record that never had its body read still sends the empty one with the rest
    const other = recording({ link: () => undefined, settled: () => undefined });
    await other.rec.finish({ kind: 'client_closed' });
    expect(other.patches.at(-1)).toHaveProperty('requestBody');
  });

  it('links a request whose body was never read when it settles, with no body', async () => {
    const seen: unknown[] = [];
    const { rec } = recording({ link: (_r, body, json) => void seen.push([body, json]), settled: () => undefined });
    await rec.finish({ kind: 'client_closed' });
    expect(seen).toEqual([[null, null]]);
  });

  it('keeps recording when the linker throws: the record is a turn of its own', async () => {
    const { rec, patches } = recording({
      link: (r) => {
        r.attempt = 7;
        throw new Error('linker bug');
      },
      settled: () => {
        throw new Error('linker bug');
      },
    });
    await expect(setBody(rec, BODY)).resolves.toBeUndefined();
    rec.responseStarted(200, {}, 'application/json', '');
    await expect(rec.finish({ kind: 'upstream_end' })).resolves.toBeUndefined();
    expect(patches.at(-1)).toMatchObject({ outcome: 'completed', turnId: 'r1', attempt: 1 });
  });
});
