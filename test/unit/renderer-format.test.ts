import { describe, expect, it } from 'vitest';
import { fmtCost } from '../../src-main/headless/sessions-output.js';
import { formatBytes, formatCost, formatDuration, formatPercent, formatRate, formatTokens, tokensPerSecond } from '../../src-renderer/lib/format.js';

describe('dashboard number formats', () => {
  it('formats durations at a precision that suits their size', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(842.4)).toBe('842 ms');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('formats token counts compactly', () => {
    expect(formatTokens(842)).toBe('842');
    expect(formatTokens(9_999)).toBe('9,999');
    expect(formatTokens(12_400)).toBe('12.4k');
    expect(formatTokens(1_210_000)).toBe('1.21M');
  });

  it('computes tokens per second over the streaming part only', () => {
    expect(tokensPerSecond(100, 1_000, 3_000)).toBe(50);
    expect(tokensPerSecond(100, null, 2_000)).toBe(50);
    expect(tokensPerSecond(100, 1_000, 1_020)).toBeNull(); // one burst: no meaningful rate
    expect(tokensPerSecond(null, 1_000, 3_000)).toBeNull();
    expect(formatRate(48.25)).toBe('48.3');
    expect(formatRate(312.4)).toBe('312');
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });

  it('says a cost as the CLI does, and a context fraction in whole percent', () => {
    for (const usd of [0.00011, 0.0042, 0.031, 0.5, 1.239, 42]) expect(formatCost(usd)).toBe(fmtCost(usd).replace('-', '–'));
    expect([formatCost(0.0011), formatCost(0.031), formatCost(1.239), formatCost(null)]).toEqual(['$0.0011', '$0.031', '$1.24', '–']);
    expect([formatPercent(0.912), formatPercent(0.0001), formatPercent(0), formatPercent(1.0062), formatPercent(null)]).toEqual(['91 %', '<1 %', '0 %', '101 %', '–']);
  });
});
