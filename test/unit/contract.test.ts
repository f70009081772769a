import { describe, expect, it, vi } from 'vitest';
import {
  CHANNEL_NAMES,
  CHANNELS,
  LIVE_CHANNEL,
  dispatch,
  isChannelName,
  validateArgs,
  type Handlers,
} from '../../src-main/common/contract.js';

/** Every channel answers with its own name, so a test can see which handler ran. */
function echoHandlers(): Handlers {
  return Object.fromEntries(CHANNEL_NAMES.map((name) => [name, vi.fn(() => name)])) as unknown as Handlers;
}

describe('the channel list', () => {
  it('is the reviewed surface: a new, renamed or removed channel shows up here', () => {
    expect(CHANNEL_NAMES).toMatchInlineSnapshot(`
      [
        "requests.list",
        "requests.get",
        "requests.stats",
        "requests.histogram",
        "requests.facets",
        "requests.attempts",
        "sessions.list",
        "sessions.get",
        "export.run",
        "status.get",
        "recording.setPaused",
        "settings.get",
        "settings.set",
        "setup.info",
      ]
    `);
    // the one push channel, outside the request/response table
    expect(LIVE_CHANNEL).toBe('live.events');
  });

  it('names every channel with a dotted name and has a validator for each', () => {
    for (const name of CHANNEL_NAMES) {
      expect(name).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
      expect(typeof CHANNELS[name].args.safeParse).toBe('function');
    }
  });

  it('does not take inherited object keys for channels', () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      expect(isChannelName(name)).toBe(false);
    }
  });
});

describe('validateArgs', () => {
  it('accepts a well-formed payload and returns the parsed value', () => {
    const v = validateArgs('requests.list', { filter: { outcome: ['client_aborted'], text: 'hello' }, limit: 50 });
    expect(v).toEqual({ ok: true, value: { filter: { outcome: ['client_aborted'], text: 'hello' }, limit: 50 } });
  });

  it('names the channel and the field that is wrong', () => {
    const v = validateArgs('requests.list', { filter: {}, limit: 0 });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.error.code).toBe('invalid_payload');
    expect(v.error.message).toMatch(/^requests\.list: limit: /);
  });

  it('rejects an unknown outcome inside the filter, pointing at it', () => {
    const v = validateArgs('requests.stats', { filter: { outcome: ['exploded'] } });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error.message).toMatch(/^requests\.stats: filter\.outcome\.0: /);
  });

  it('rejects keys the channel does not define (strict objects)', () => {
    const v = validateArgs('requests.get', { id: 'a', extra: true });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error.message).toMatch(/^requests\.get: /);
  });

  it('rejects a payload that is not an object at all', () => {
    for (const name of CHANNEL_NAMES) {
      for (const bad of [null, 'x', 42, []]) {
        const v = validateArgs(name, bad);
        expect(v.ok, `${name} with ${JSON.stringify(bad)}`).toBe(false);
      }
    }
  });

  it('rejects settings out of range with the field in the message', () => {
    const settings = {
      port: 70000,
      upstreams: { openai: 'https://api.openai.com' },
      timeouts: { headersMs: 1000, idleMs: 1000, connectMs: 1000 },
      limits: { requestBodyBytes: 4096, responseBodyBytes: 4096, textChars: 4096, eventBytes: 4096, eventCount: 100 },
      retentionDays: 0,
      retentionMaxMiB: 0,
    };
    const v = validateArgs('settings.set', settings);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.error.message).toMatch(/^settings\.set: port: /);
    expect(validateArgs('settings.set', { ...settings, port: 7788 }).ok).toBe(true);
    for (const retentionMaxMiB of [-1, 1.5, '100']) {
      const bad = validateArgs('settings.set', { ...settings, port: 7788, retentionMaxMiB });
      expect(bad.ok, `retentionMaxMiB ${JSON.stringify(retentionMaxMiB)}`).toBe(false);
      if (!bad.ok) expect(bad.error.message).toMatch(/^settings\.set: retentionMaxMiB: /);
    }
    expect(validateArgs('settings.set', { ...settings, port: 7788, retentionMaxMiB: 4096 }).ok).toBe(true);
  });
});

describe('dispatch', () => {
  it('runs the named handler with the validated arguments', async () => {
    const handlers = echoHandlers();
    await expect(dispatch(handlers, 'requests.get', { id: 'abc' })).resolves.toEqual({ ok: true, result: 'requests.get' });
    expect(handlers['requests.get']).toHaveBeenCalledWith({ id: 'abc' });
  });

  it('never runs a handler for an invalid payload', async () => {
    const handlers = echoHandlers();
    const r = await dispatch(handlers, 'recording.setPaused', { paused: 'yes' });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(handlers['recording.setPaused']).not.toHaveBeenCalled();
  });

  it('refuses an unknown channel with unknown_channel', async () => {
    for (const name of ['requests.delete', 'toString', 42, undefined]) {
      const r = await dispatch(echoHandlers(), name, {});
      expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    }
  });

  it('turns a throwing handler into { code, message } without a stack', async () => {
    const handlers = echoHandlers();
    handlers['status.get'] = () => {
      const err = new Error('database is locked\n    at SqliteStore.count (/home/me/streamtap/store.ts:1:1)');
      throw err;
    };
    const r = await dispatch(handlers, 'status.get', {});
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'database is locked' } });
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/\bat\s+\S+\s+\(/);
    expect(text).not.toContain('store.ts');
    expect(Object.keys((r as { error: object }).error).sort()).toEqual(['code', 'message']);
  });

  it('keeps the code of an error the model meant to report (invalid_settings), and hides any other code', async () => {
    const handlers = echoHandlers();
    handlers['settings.set'] = () => Promise.reject(Object.assign(new Error('port: already in use'), { code: 'invalid_settings' }));
    handlers['setup.info'] = () => {
      throw Object.assign(new Error('boom'), { code: 'EACCES' });
    };
    const settings = {
      port: 7788,
      upstreams: {},
      timeouts: { headersMs: 1000, idleMs: 1000, connectMs: 1000 },
      limits: { requestBodyBytes: 4096, responseBodyBytes: 4096, textChars: 4096, eventBytes: 4096, eventCount: 100 },
      retentionDays: 0,
      retentionMaxMiB: 0,
    };
    await expect(dispatch(handlers, 'settings.set', settings)).resolves.toEqual({
      ok: false,
      error: { code: 'invalid_settings', message: 'port: already in use' },
    });
    await expect(dispatch(handlers, 'setup.info', {})).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
  });

  it('answers with a generic message when the thrown value is not an Error', async () => {
    const handlers = echoHandlers();
    handlers['requests.facets'] = () => {
      throw { stack: 'secret stack' };
    };
    const r = await dispatch(handlers, 'requests.facets', {});
    expect(r).toEqual({ ok: false, error: { code: 'internal', message: 'internal error' } });
  });
});
