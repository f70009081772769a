// Counted nouns for the dashboard's sentences: "1 request", "2 requests". Pure.

export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** "1 request", "1,204 requests". */
export function countOf(n: number, one: string, many?: string): string {
  return `${n.toLocaleString('en-US')} ${plural(n, one, many)}`;
}
