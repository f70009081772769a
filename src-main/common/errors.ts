// One-line error reports: the CLI, the API's error answers and the store's open errors
// all say what went wrong in one line, never with a stack.

/** The first line of an error's message (or of the value, as text), trimmed, at most
 * `maxChars` long. */
export function firstLine(e: unknown, maxChars = 300): string {
  const text = e instanceof Error ? e.message : typeof (e as { message?: unknown } | null)?.message === 'string' ? (e as { message: string }).message : String(e);
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > maxChars ? `${line.slice(0, maxChars - 3)}...` : line;
}
