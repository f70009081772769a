// The text-search rule's two halves against SQLite itself: the words the live view cuts
// a text into are the words FTS5's tokenizer cuts it into (for every character the
// mirror claims), and the MATCH query built from any user text is a plain AND of quoted
// words, whatever FTS syntax the text holds.

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftsMatchQuery, matchesSearch, SEARCH_TOKENIZER, searchWords } from '../../src-main/common/text-search.js';

let db: Database.Database;

beforeAll(() => {
  db = new Database(':memory:');
  db.exec(`create virtual table t using fts5(a, content='', contentless_delete=1, tokenize='${SEARCH_TOKENIZER}')`);
  db.exec(`create table docs (a text); create virtual table v using fts5vocab(t, 'instance')`);
});

afterAll(() => db.close());

/** The words SQLite's tokenizer makes of one text, in order. */
function sqliteWords(text: string): string[] {
  db.exec('delete from t');
  db.prepare('insert into t (rowid, a) values (1, ?)').run(text);
  return (db.prepare('select term from v order by offset').pluck().all() as string[]);
}

describe('the search tokenizer', () => {
  it('cuts and folds every character of U+0000–U+024F as SQLite does', () => {
    const differ: string[] = [];
    for (let cp = 0; cp < 0x250; cp++) {
      const text = `x${String.fromCodePoint(cp)}y`;
      const ours = searchWords(text).join('|');
      const theirs = sqliteWords(text).join('|');
      if (ours !== theirs) differ.push(`U+${cp.toString(16)}: ${ours} vs ${theirs}`);
    }
    expect(differ).toEqual([]);
  });

  it('cuts a realistic text as SQLite does', () => {
    const text = 'Fix src/parser.ts:42 — the_parser\'s "NEAR(x, 3)" OR -flag *glob* Ünïcödé 100% v2.1';
    expect(searchWords(text)).toEqual(sqliteWords(text));
  });
});

describe('the MATCH query', () => {
  const hostile = ['"', '*', 'NEAR(', 'NEAR(a b)', 'OR', 'a OR b', 'NOT a', '-a', 'a AND', '^a', 'a:b', '{a b}: c', '"a" "b', 'a*b', '(', ')', '+', '""""', 'a\u0000b'];

  it.each(hostile)('from %j is quoted words only, and SQLite accepts it', (text) => {
    const q = ftsMatchQuery(text);
    if (q === null) {
      expect(searchWords(text)).toEqual([]);
      return;
    }
    expect(q).toMatch(/^"[^"]+"( "[^"]+")*\*$/);
    db.prepare('insert or replace into t (rowid, a) values (1, ?)').run('a b c near or not and');
    expect(() => db.prepare('select rowid from t where t match ?').all(q)).not.toThrow();
  });

  it('ANDs the words, the last one a prefix', () => {
    expect(ftsMatchQuery('Fix the pars')).toBe('"fix" "the" "pars"*');
    db.prepare('insert or replace into t (rowid, a) values (1, ?)').run('fix the parser');
    const hits = (text: string) => db.prepare('select count(*) from t where t match ?').pluck().get(ftsMatchQuery(text));
    expect(hits('fix pars')).toBe(1);
    expect(hits('pars fix')).toBe(0);
    expect(hits('fix OR zebra')).toBe(0);
    expect(hits('-fix')).toBe(1);
  });

  it('has no words, so no constraint, for punctuation only', () => {
    expect(ftsMatchQuery('"*-()')).toBeNull();
    expect(matchesSearch('"*-()', { prompt: null }, false)).toBe(true);
  });
});
