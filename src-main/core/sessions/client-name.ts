// The tool behind a client label, whatever its version.

/** "Claude Code 2.0.14" → "Claude Code", "OpenAI/JS 6.3.0" → "OpenAI/JS"; the stored
 * client is a display label with the version appended (see proxy/client-info.ts). */
export function clientName(label: string): string {
  return label.replace(/\s+v?\d[\w.+-]*$/, '') || label;
}
