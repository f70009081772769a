// The timeline's text search, highlighted in the open detail: every match in the
// visible tab is painted with the CSS Custom Highlight API (no DOM is rewritten, so
// React's tree and the strict CSP are untouched), the current one more strongly; moving
// to a match opens the folds it is in and scrolls it into view.

import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';

const ALL = 'streamtap-search';
const CURRENT = 'streamtap-search-current';
/** a very common word must not build tens of thousands of ranges */
const MAX_HITS = 1_000;

type HighlightApi = { highlights: Map<string, unknown> };
type HighlightCtor = new (...ranges: Range[]) => unknown;

function api(): { registry: HighlightApi['highlights']; Highlight: HighlightCtor } | null {
  const css = (globalThis as { CSS?: Partial<HighlightApi> }).CSS;
  const Highlight = (globalThis as { Highlight?: HighlightCtor }).Highlight;
  return css?.highlights && Highlight ? { registry: css.highlights, Highlight } : null;
}

function findRanges(root: HTMLElement, needle: string): Range[] {
  const out: Range[] = [];
  const n = needle.toLowerCase();
  // The match counter names the query itself: it is not a match.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement?.closest('[data-search-skip]') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let node = walker.nextNode(); node && out.length < MAX_HITS; node = walker.nextNode()) {
    const text = (node.nodeValue ?? '').toLowerCase();
    for (let at = text.indexOf(n); at >= 0 && out.length < MAX_HITS; at = text.indexOf(n, at + n.length)) {
      const r = document.createRange();
      r.setStart(node, at);
      r.setEnd(node, at + n.length);
      out.push(r);
    }
  }
  return out;
}

export interface SearchHits {
  count: number;
  /** 0-based index of the current match, -1 when none */
  current: number;
  capped: boolean;
  next(): void;
  prev(): void;
}

export function useSearchHighlight(root: RefObject<HTMLElement | null>, query: string, key: unknown): SearchHits {
  const [ranges, setRanges] = useState<Range[]>([]);
  const [current, setCurrent] = useState(0);
  const needle = query.trim();
  const first = useRef(true);

  // Find the matches now and whenever the content changes (a fold opens, a live record grows).
  useEffect(() => {
    const el = root.current;
    if (!el || needle.length < 2) {
      setRanges([]);
      return;
    }
    let frame = 0;
    const run = () => {
      frame = 0;
      setRanges(findRanges(el, needle));
    };
    run();
    first.current = true;
    setCurrent(0);
    const obs = new MutationObserver(() => {
      if (!frame) frame = requestAnimationFrame(run);
    });
    obs.observe(el, { subtree: true, childList: true, characterData: true });
    return () => {
      obs.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [root, needle, key]);

  // Paint them.
  useEffect(() => {
    const h = api();
    if (!h) return;
    if (!ranges.length) {
      h.registry.delete(ALL);
      h.registry.delete(CURRENT);
      return;
    }
    h.registry.set(ALL, new h.Highlight(...ranges));
    const cur = ranges[Math.min(current, ranges.length - 1)]!;
    h.registry.set(CURRENT, new h.Highlight(cur));
    return () => {
      h.registry.delete(ALL);
      h.registry.delete(CURRENT);
    };
  }, [ranges, current]);

  // Bring the current one into view, opening the folds around it.
  const reveal = useCallback((r: Range | undefined) => {
    let el: Element | null = r?.startContainer.parentElement ?? null;
    const target = el;
    for (; el; el = el.parentElement) if (el instanceof HTMLDetailsElement && !el.open) el.open = true;
    target?.scrollIntoView({ block: 'center' });
  }, []);
  useEffect(() => {
    if (!ranges.length) return;
    // Only the first match of a new search is revealed by itself; later content
    // changes (a live record re-rendering) must not yank the scroll position.
    if (!first.current) return;
    first.current = false;
    reveal(ranges[0]);
  }, [ranges, reveal]);

  const move = (d: number) => {
    if (!ranges.length) return;
    const i = (current + d + ranges.length) % ranges.length;
    setCurrent(i);
    reveal(ranges[i]);
  };
  return { count: ranges.length, current: ranges.length ? Math.min(current, ranges.length - 1) : -1, capped: ranges.length >= MAX_HITS, next: () => move(1), prev: () => move(-1) };
}
