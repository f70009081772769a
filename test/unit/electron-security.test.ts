// Navigation, new windows, permissions and the CSP, with fake WebContents and Session
// objects: the window never leaves the app's page, never opens another window (web
// links go to the user's browser), gets no permission, and every response carries the
// strict policy.

import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import { createAppUrlCheck } from '../../src-main/electron/app-url.js';
import { devCsp, hardenSession, hardenWebContents, PRODUCTION_CSP } from '../../src-main/electron/security.js';

vi.mock('electron', () => ({}));

const isAppUrl = createAppUrlCheck();

function fakeContents() {
  const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler: ReturnType<typeof vi.fn> };
  contents.setWindowOpenHandler = vi.fn();
  const openExternal = vi.fn();
  hardenWebContents(contents as unknown as WebContents, { isAppUrl, openExternal });
  const navigate = (event: string, url: string) => {
    const e = { preventDefault: vi.fn(), url };
    contents.emit(event, e, url);
    return e.preventDefault.mock.calls.length > 0;
  };
  const open = (url: string) => (contents.setWindowOpenHandler.mock.calls[0]![0] as (d: { url: string }) => { action: string })({ url });
  return { contents, navigate, open, openExternal };
}

describe('hardenWebContents', () => {
  it('blocks navigation to anything but the app page', () => {
    const { navigate } = fakeContents();
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate('will-redirect', 'http://127.0.0.1:7788/')).toBe(true);
    expect(navigate('will-frame-navigate', 'https://evil.example/frame')).toBe(true);
    // file:// is never the app: its 'self' would match every local file
    expect(navigate('will-navigate', 'file:///app/out/renderer/index.html')).toBe(true);
    expect(navigate('will-navigate', 'app://streamtap.evil/index.html')).toBe(true);
    expect(navigate('will-navigate', 'app://streamtap/index.html#/sessions')).toBe(false);
  });

  it('denies every new window and opens only http(s) links in the external browser', () => {
    const { open, openExternal } = fakeContents();
    expect(open('https://platform.openai.com/docs')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://platform.openai.com/docs');
    expect(open('file:///etc/passwd')).toEqual({ action: 'deny' });
    expect(open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(open('smb://server/share')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('refuses to attach a <webview>', () => {
    const { contents } = fakeContents();
    const e = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', e);
    expect(e.preventDefault).toHaveBeenCalled();
  });
});

describe('hardenSession', () => {
  function fakeSession() {
    const s = {
      setPermissionRequestHandler: vi.fn(),
      setPermissionCheckHandler: vi.fn(),
      webRequest: { onHeadersReceived: vi.fn() },
    };
    const cleanup = hardenSession(s as unknown as Session, { csp: PRODUCTION_CSP, isAppUrl });
    return { s, cleanup };
  }

  it('denies every permission request and check', () => {
    const { s } = fakeSession();
    const callback = vi.fn();
    s.setPermissionRequestHandler.mock.calls[0]![0]({}, 'media', callback, { requestingUrl: 'app://streamtap/index.html' });
    expect(callback).toHaveBeenCalledWith(false);
    expect(s.setPermissionCheckHandler.mock.calls[0]![0]({}, 'clipboard-read', 'app://streamtap', {})).toBe(false);
  });

  it("lets only the app's own page write the clipboard (its copy buttons)", () => {
    const { s } = fakeSession();
    const request = (permission: string, requestingUrl: string) => {
      const callback = vi.fn();
      s.setPermissionRequestHandler.mock.calls[0]![0]({}, permission, callback, { requestingUrl });
      return callback.mock.calls[0]![0] as boolean;
    };
    const check = (permission: string, origin: string) => s.setPermissionCheckHandler.mock.calls[0]![0]({}, permission, origin, {}) as boolean;
    expect(request('clipboard-sanitized-write', 'app://streamtap/index.html#/detail')).toBe(true);
    expect(check('clipboard-sanitized-write', 'app://streamtap')).toBe(true);
    expect(request('clipboard-sanitized-write', 'file:///tmp/evil.html')).toBe(false);
    expect(request('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(check('clipboard-sanitized-write', 'https://evil.example')).toBe(false);
    expect(request('clipboard-read', 'app://streamtap/index.html')).toBe(false);
  });

  it('sets the strict CSP on responses, replacing any policy already there', () => {
    const { s, cleanup } = fakeSession();
    const callback = vi.fn();
    s.webRequest.onHeadersReceived.mock.calls[0]![0](
      { url: 'http://localhost:5173/', responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] } },
      callback,
    );
    const headers = callback.mock.calls[0]![0].responseHeaders as Record<string, string[]>;
    expect(headers['Content-Security-Policy']).toEqual([PRODUCTION_CSP]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['Content-Type']).toEqual(['text/html']);
    cleanup();
    expect(s.webRequest.onHeadersReceived).toHaveBeenLastCalledWith(null);
  });

  it('the production policy allows no inline or remote script and no network but the app', () => {
    expect(PRODUCTION_CSP).toContain("script-src 'self';");
    expect(PRODUCTION_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(PRODUCTION_CSP).toContain("connect-src 'self';");
    expect(PRODUCTION_CSP).toContain("object-src 'none'");
    expect(devCsp('http://localhost:5173')).toContain('ws://localhost:5173');
  });
});
