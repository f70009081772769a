// forward(): what undici hands over chunk by chunk reaches the sink once per socket
// read, in order, with the end or the error after the last bytes.

import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { forward, type ForwardSink } from '../../src-main/core/proxy/forwarder.js';

/** A dispatcher that captures the handler, so the test plays undici's part. */
function fakeDispatcher() {
  let handler: Dispatcher.DispatchHandler | null = null;
  const calls = { paused: 0, resumed: 0, aborted: null as Error | null };
  const controller = {
    pause: () => void calls.paused++,
    resume: () => void calls.resumed++,
    abort: (e: Error) => void (calls.aborted = e),
    aborted: false,
    paused: false,
    reason: null,
  } as unknown as Dispatcher.DispatchController;
  const dispatcher = {
    dispatch(_opts: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler) {
      handler = h;
      h.onRequestStart?.(controller, {});
      return true;
    },
  } as unknown as Dispatcher;
  const h = () => handler!;
  return { dispatcher, controller, calls, h };
}

function recordingSink(answer: () => boolean = () => true) {
  const log: string[] = [];
  const sink: ForwardSink = {
    onStart: (status) => void log.push(`start ${status}`),
    onData: (chunk) => {
      log.push(`data ${chunk.toString()}`);
      return answer();
    },
    onEnd: () => void log.push('end'),
    onError: (e) => void log.push(`error ${e.message}`),
  };
  return { sink, log };
}

const nextTick = () => new Promise<void>((r) => process.nextTick(r));
const req = { origin: 'http://127.0.0.1:1', path: '/v1/x', method: 'POST', headers: {}, body: null };

describe('forward()', () => {
  it('hands the chunks of one read to the sink as one buffer, after the read', async () => {
    const f = fakeDispatcher();
    const { sink, log } = recordingSink();
    forward(f.dispatcher, req, sink);
    f.h().onResponseStart?.(f.controller, 200, {}, 'OK');
    for (const part of ['a', 'b', 'c']) f.h().onResponseData?.(f.controller, Buffer.from(part));
    expect(log).toEqual(['start 200']); // nothing yet: the read is still being parsed
    await nextTick();
    expect(log).toEqual(['start 200', 'data abc']);
    f.h().onResponseData?.(f.controller, Buffer.from('d'));
    await nextTick();
    expect(log).toEqual(['start 200', 'data abc', 'data d']);
  });

  it('delivers the last bytes before the end, and before an error', () => {
    for (const finish of ['end', 'error'] as const) {
      const f = fakeDispatcher();
      const { sink, log } = recordingSink();
      forward(f.dispatcher, req, sink);
      f.h().onResponseStart?.(f.controller, 200, {}, 'OK');
      f.h().onResponseData?.(f.controller, Buffer.from('x'));
      f.h().onResponseData?.(f.controller, Buffer.from('y'));
      if (finish === 'end') f.h().onResponseEnd?.(f.controller, {});
      else f.h().onResponseError?.(f.controller, new Error('socket hang up'));
      expect(log).toEqual(['start 200', 'data xy', finish === 'end' ? 'end' : 'error socket hang up']);
    }
  });

  it('pauses upstream when the sink refuses more, and drops what is pending after an abort', async () => {
    const f = fakeDispatcher();
    const { sink, log } = recordingSink(() => false);
    const fwd = forward(f.dispatcher, req, sink);
    f.h().onResponseStart?.(f.controller, 200, {}, 'OK');
    f.h().onResponseData?.(f.controller, Buffer.from('full'));
    await nextTick();
    expect(f.calls.paused).toBe(1);
    fwd.resume();
    expect(f.calls.resumed).toBe(1);
    f.h().onResponseData?.(f.controller, Buffer.from('late'));
    fwd.abort(new Error('client left'));
    await nextTick();
    expect(log).toEqual(['start 200', 'data full']);
    expect(f.calls.aborted?.message).toBe('client left');
  });
});
