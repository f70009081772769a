// Small statistics for the benchmark's figures.

/** Nearest-rank quantile (q in [0, 1]); NaN for no samples. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The lowest and highest of the finite values: the spread over rounds. */
export function spread(xs: readonly number[]): { min: number; max: number } {
  const f = xs.filter(Number.isFinite);
  return f.length ? { min: Math.min(...f), max: Math.max(...f) } : { min: NaN, max: NaN };
}
