// The app:// protocol that serves the renderer: only files inside out/renderer, on the
// one host, with the full CSP on every response; anything else is a 404.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentTypeFor } from '../../src-main/core/content-types.js';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, createAppProtocolHandler, resolveAppFile } from '../../src-main/electron/app-protocol.js';
import { PRODUCTION_CSP } from '../../src-main/electron/security.js';

let dir: string;
let rendererDir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-protocol-'));
  rendererDir = path.join(dir, 'out', 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Streamtap</title>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'index-abc.js'), 'console.log(1)');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'index-abc.css'), 'body{}');
  // beside the renderer folder, and named like it: must stay unreachable
  fs.writeFileSync(path.join(dir, 'out', 'secret.txt'), 'secret');
  fs.mkdirSync(path.join(dir, 'out', 'renderer-evil'));
  fs.writeFileSync(path.join(dir, 'out', 'renderer-evil', 'x.js'), 'evil');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('resolveAppFile', () => {
  it('maps app://streamtap paths into the renderer folder; / is index.html', () => {
    expect(resolveAppFile(rendererDir, APP_INDEX_URL)).toBe(path.join(rendererDir, 'index.html'));
    expect(resolveAppFile(rendererDir, 'app://streamtap/')).toBe(path.join(rendererDir, 'index.html'));
    expect(resolveAppFile(rendererDir, 'app://streamtap/assets/index-abc.js?v=1#x')).toBe(path.join(rendererDir, 'assets', 'index-abc.js'));
  });

  it('refuses other hosts, other schemes, escapes and malformed paths', () => {
    for (const url of [
      'app://other/index.html',
      'file:///etc/passwd',
      'https://streamtap/index.html',
      'app://streamtap/..%2fsecret.txt',
      'app://streamtap/%2e%2e%2frenderer-evil/x.js',
      'app://streamtap/assets/%00.js',
      'app://streamtap/%E0%A4%A',
      'not a url',
    ]) {
      expect(resolveAppFile(rendererDir, url), url).toBeNull();
    }
    // `..` and `%2e%2e` segments are resolved by the URL parser itself, at the root:
    // they stay inside
    expect(resolveAppFile(rendererDir, 'app://streamtap/../secret.txt')).toBe(path.join(rendererDir, 'secret.txt'));
    expect(resolveAppFile(rendererDir, 'app://streamtap/%2e%2e/secret.txt')).toBe(path.join(rendererDir, 'secret.txt'));
  });

  it('is registered as a standard, secure scheme', () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ scheme: 'app', privileges: { standard: true, secure: true } });
  });
});

describe('the app:// handler', () => {
  const handler = () => createAppProtocolHandler({ rendererDir, csp: PRODUCTION_CSP });

  it('serves the page and its assets with their types and the full CSP', async () => {
    const res = await handler()(new Request(APP_INDEX_URL));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(PRODUCTION_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Streamtap</title>');
    const js = await handler()(new Request('app://streamtap/assets/index-abc.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(PRODUCTION_CSP);
    expect(contentTypeFor('a.css')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 (with the CSP) for a missing file or a path outside the folder', async () => {
    for (const url of ['app://streamtap/missing.js', 'app://streamtap/../secret.txt', 'app://streamtap/%2e%2e/secret.txt', 'app://other/index.html']) {
      const res = await handler()(new Request(url));
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(PRODUCTION_CSP);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('accepts only GET and HEAD', async () => {
    const res = await handler()(new Request(APP_INDEX_URL, { method: 'POST', body: 'x' }));
    expect(res.status).toBe(405);
    const head = await handler()(new Request(APP_INDEX_URL, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
