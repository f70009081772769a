// Text search, one rule for both sides: the store runs it as an FTS5 MATCH over the
// request_search table (core/db/filter-sql.ts), the live view runs it here on a record
// (common/record.ts, matchesRecordFilter). test/unit/record-filter.test.ts runs every
// case through both, and test/unit/text-search.test.ts checks this tokenizer against
// SQLite's on every character it claims to mirror.
//
// The rule: the search text is cut into words; a record matches when each word is a
// word of the record (any of its searched fields), the last word as a prefix ("fix pars"
// finds "fix the parser"). Case-insensitive. Nothing the user types is FTS syntax: quotes,
// *, -, OR, NEAR( are separators or plain words. A text without any word (only
// punctuation) is no constraint, like an empty text.
//
// What is searched (request_search's columns, written by the writer thread): the prompt
// (the last user message), the models (requested and reported), and, once the record is
// no longer in progress, the answer, the reasoning, the tool calls (names and
// arguments) and the error messages. An in-progress record is found by its prompt and
// model only: its answer grows with every event, and re-indexing it each time would
// cost the writer far more than one index write at the end.
//
// SQLite's unicode61 tokenizer (remove_diacritics 0): a word is a run of letters,
// digits and private-use characters, folded to lower case. Its tables are its own
// Unicode version, so this mirror claims exactness only for U+0000–U+024F (Basic Latin
// to Latin Extended-B, checked character by character in the test); a run holding any
// character beyond that is "uncertain", and a decision that would rest on one is
// 'unknown' (the live view asks the store then).

/** The text the FTS5 table holds for a record, column by column (one name per column). */
export interface SearchFields {
  prompt: string | null;
  models: string;
  answer: string;
  reasoning: string;
  tools: string;
  errors: string;
}

/** The FTS5 tokenizer both sides assume (the migration creates the table with it). */
export const SEARCH_TOKENIZER = 'unicode61 remove_diacritics 0';

const LATIN_END = 0x250;
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;
// unicode61's case folding differs from toLowerCase() on these three (found by the test)
const FOLD: Record<string, string> = { '\u00b5': '\u03bc', '\u0130': '\u0130', '\u017f': 's' };

interface Run {
  text: string;
  /** holds a character beyond the mirrored range: SQLite may cut or fold it otherwise */
  uncertain: boolean;
}

/** Runs of word characters, folded; characters beyond Latin are kept in runs (uncertain). */
function runs(s: string): Run[] {
  const out: Run[] = [];
  let text = '';
  let uncertain = false;
  let wordy = false;
  const end = () => {
    if (text && wordy) out.push({ text, uncertain });
    text = '';
    uncertain = false;
    wordy = false;
  };
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= LATIN_END) {
      text += ch.toLowerCase();
      uncertain = true;
      if (TOKEN_CHAR.test(ch)) wordy = true;
    } else if (TOKEN_CHAR.test(ch)) {
      text += FOLD[ch] ?? ch.toLowerCase();
      wordy = true;
    } else end();
  }
  end();
  return out;
}

/** The words of a search text; none for a text of punctuation only. */
export function searchWords(text: string): string[] {
  return runs(text).map((r) => r.text);
}

/**
 * The FTS5 MATCH expression for a search text, or null for a text without words.
 * Each word is a quoted string (so nothing in it is syntax: a word holds no `"`), the
 * last one a prefix query; juxtaposition is AND.
 */
export function ftsMatchQuery(text: string): string | null {
  const words = searchWords(text);
  if (words.length === 0) return null;
  return words.map((w, i) => `"${w.replace(/"/g, '""')}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

/**
 * Does a record with these fields match the search text? `fields` may be partial (a
 * timeline summary lacks the answer, reasoning and tool calls): a missing field can
 * only turn a "no" into 'unknown'. `inProgress` records are searched by prompt and
 * models only, as the table holds them.
 */
export function matchesSearch(text: string, fields: Partial<SearchFields>, inProgress: boolean): boolean | 'unknown' {
  const words = runs(text);
  if (words.length === 0) return true;
  if (words.some((w) => w.uncertain)) return 'unknown';
  const names: (keyof SearchFields)[] = inProgress ? ['prompt', 'models'] : ['prompt', 'models', 'answer', 'reasoning', 'tools', 'errors'];
  const missing = names.some((n) => fields[n] === undefined);
  const docRuns = names.flatMap((n) => runs(fields[n] ?? ''));
  let unknown = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!.text;
    const prefix = i === words.length - 1;
    const hit = (t: string) => (prefix ? t.startsWith(w) : t === w);
    if (docRuns.some((r) => !r.uncertain && hit(r.text))) continue;
    // SQLite may cut an uncertain run into words differently, one of which might match;
    // and a field the subject lacks might hold the word
    if (missing || docRuns.some((r) => r.uncertain && r.text.includes(w))) unknown = true;
    else return false;
  }
  return unknown ? 'unknown' : true;
}
