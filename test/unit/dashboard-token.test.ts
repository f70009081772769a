import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDashboardToken } from '../../src-main/headless/dashboard/guard.js';

describe('the dashboard token kept in the data folder', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamtap-token-'));
    file = path.join(dir, 'sub', 'dashboard-token');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is made once, readable by the user only, and the same at the next launch', () => {
    const first = loadDashboardToken(file);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadDashboardToken(file)).toBe(first);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['dashboard-token']);
  });

  it('is replaced when asked to rotate, or when the file holds no valid token', () => {
    const first = loadDashboardToken(file);
    const rotated = loadDashboardToken(file, { rotate: true });
    expect(rotated).not.toBe(first);
    expect(loadDashboardToken(file)).toBe(rotated);
    fs.writeFileSync(file, 'not a token');
    const remade = loadDashboardToken(file);
    expect(remade).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(remade);
  });

  it.skipIf(process.platform === 'win32')('tightens a token file left readable by others', () => {
    const token = loadDashboardToken(file);
    fs.chmodSync(file, 0o644);
    expect(loadDashboardToken(file)).toBe(token);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
