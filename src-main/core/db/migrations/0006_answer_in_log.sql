-- A finished stream's answer is no longer stored beside its event log, which already
-- holds it (schema.ts, request_bodies.answer_in_log; row-mapping.ts rebuilds it): rows
-- from before keep their stored answer (0 here).
ALTER TABLE `request_bodies` ADD `answer_in_log` integer DEFAULT false NOT NULL;
--> statement-breakpoint
-- The search index rebuilt with detail=none: it keeps which records hold a word, not
-- where in them. Search needs no more (common/text-search.ts: words and a last-word
-- prefix, ANDed, no phrases or column filters), and the index is a quarter of the
-- size (3.6 KB → 0.9 KB for a 200-chunk stream) and cheaper to write.
DROP TABLE `request_search`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `request_search` USING fts5(prompt, models, answer, reasoning, tools, errors, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
-- Existing records are indexed after opening, newest first, a batch at a time on the
-- writer thread (search-backlog.ts), not here: a migration holds up the start, and a
-- heavy user's million records would take about 40 s. Records with a rowid below
-- `below_rowid` are not indexed yet; the row goes once they all are.
CREATE TABLE `search_backlog` (
	`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1),
	`below_rowid` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `search_backlog` (id, below_rowid) SELECT 1, rowid + 1 FROM `requests` ORDER BY rowid DESC LIMIT 1;
