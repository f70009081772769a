// Layout checks shared by the end-to-end specs: controls that sit on one another.

import type { Page } from '@playwright/test';

/** What the page callbacks use of the DOM (this file is type-checked without DOM
 * types; the casts are erased before Playwright serializes the callbacks). */
export interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
  height: number;
}
export interface El {
  getBoundingClientRect(): Box;
  contains(other: El): boolean;
  tagName: string;
  classList: Iterable<string>;
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
}
export interface PageGlobals {
  document: { querySelectorAll(selector: string): Iterable<El>; querySelector(selector: string): El | null };
  getComputedStyle(e: El): { visibility: string };
}

/** The controls every view has and that must never sit on one another: the top bar,
 * and the toolbar's search, filters, range and Clear. */
export const SHELL_CONTROLS = [
  '.topbar .nav-item',
  '.topbar .live-count',
  '.topbar .baseurl-chip',
  '.topbar .rec-toggle',
  '.toolbar .search',
  '.toolbar .ms',
  '.toolbar .range',
  '.toolbar .btn-link',
];

/** Every pair of visible elements matching `selector` that overlap (neither inside the other). */
export async function overlaps(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const g = globalThis as unknown as PageGlobals;
    const els = [...g.document.querySelectorAll(selector)].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && g.getComputedStyle(e).visibility !== 'hidden';
    });
    const name = (e: El) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} "${(e.textContent ?? '').trim().slice(0, 24)}"`;
    const out: string[] = [];
    for (let i = 0; i < els.length; i++) {
      for (let j = i + 1; j < els.length; j++) {
        const a = els[i]!;
        const b = els[j]!;
        if (a.contains(b) || b.contains(a)) continue;
        const ra = a.getBoundingClientRect();
        const rb = b.getBoundingClientRect();
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1) out.push(`${name(a)} overlaps ${name(b)} (${Math.round(w)}×${Math.round(h)} px)`);
      }
    }
    return out;
  }, selector);
}
