-- Text search over prompts and answers (common/text-search.ts has the rule), and the
-- unfiltered summary strip without a scan.
--
-- request_search is contentless (the text already lives in requests and
-- request_bodies; a copy would double the file) and keyed by requests' rowid. requests
-- has a text primary key, so its rowid is implicit: VACUUM keeps it (SQLite copies the
-- table b-tree as it is; test/unit/store-search.test.ts checks it), and the one
-- VACUUM Streamtap runs (open-database.ts) comes before migrations anyway.
-- contentless_delete=1 lets a row be deleted or replaced by rowid alone.
CREATE VIRTUAL TABLE `request_search` USING fts5(prompt, models, answer, reasoning, tools, errors, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
-- Existing records are indexed by 0006, which rebuilds this table (detail=none): a
-- database from before this migration is indexed once, there. (0005 as first released
-- indexed them here; databases it ran on are indexed again by 0006.)
--
-- Retention deletes requests rows: their search entries go with them.
CREATE TRIGGER `requests_search_delete` AFTER DELETE ON `requests` BEGIN
  DELETE FROM `request_search` WHERE rowid = old.rowid;
END;
--> statement-breakpoint
-- The unfiltered summary strip (queries.ts summarize) read from one row per outcome
-- instead of counting every request. Kept by the triggers below in the writer's own
-- transactions, so it is always the sum of the committed rows.
CREATE TABLE `request_totals` (
	`outcome` text PRIMARY KEY NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`truncated` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`ttft_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO `request_totals` (outcome, requests, truncated, input_tokens, output_tokens, ttft_count)
SELECT outcome, count(*), coalesce(sum(outcome = 'completed' AND truncated), 0), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), count(ttft_ms)
FROM `requests` GROUP BY outcome;
--> statement-breakpoint
CREATE TRIGGER `requests_totals_insert` AFTER INSERT ON `requests` BEGIN
  INSERT INTO `request_totals` (outcome, requests, truncated, input_tokens, output_tokens, ttft_count)
  VALUES (new.outcome, 1, new.outcome = 'completed' AND new.truncated, coalesce(new.input_tokens, 0), coalesce(new.output_tokens, 0), new.ttft_ms IS NOT NULL)
  ON CONFLICT (outcome) DO UPDATE SET requests = requests + 1, truncated = truncated + excluded.truncated,
    input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, ttft_count = ttft_count + excluded.ttft_count;
END;
--> statement-breakpoint
CREATE TRIGGER `requests_totals_delete` AFTER DELETE ON `requests` BEGIN
  UPDATE `request_totals` SET requests = requests - 1, truncated = truncated - (old.outcome = 'completed' AND old.truncated),
    input_tokens = input_tokens - coalesce(old.input_tokens, 0), output_tokens = output_tokens - coalesce(old.output_tokens, 0), ttft_count = ttft_count - (old.ttft_ms IS NOT NULL)
  WHERE outcome = old.outcome;
END;
--> statement-breakpoint
-- Only when a counted column is set: the recorder's many patches during a stream set others.
CREATE TRIGGER `requests_totals_update` AFTER UPDATE OF outcome, truncated, input_tokens, output_tokens, ttft_ms ON `requests` BEGIN
  UPDATE `request_totals` SET requests = requests - 1, truncated = truncated - (old.outcome = 'completed' AND old.truncated),
    input_tokens = input_tokens - coalesce(old.input_tokens, 0), output_tokens = output_tokens - coalesce(old.output_tokens, 0), ttft_count = ttft_count - (old.ttft_ms IS NOT NULL)
  WHERE outcome = old.outcome;
  INSERT INTO `request_totals` (outcome, requests, truncated, input_tokens, output_tokens, ttft_count)
  VALUES (new.outcome, 1, new.outcome = 'completed' AND new.truncated, coalesce(new.input_tokens, 0), coalesce(new.output_tokens, 0), new.ttft_ms IS NOT NULL)
  ON CONFLICT (outcome) DO UPDATE SET requests = requests + 1, truncated = truncated + excluded.truncated,
    input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, ttft_count = ttft_count + excluded.ttft_count;
END;
--> statement-breakpoint
-- The median TTFT: an OFFSET walk over this index, which holds only the rows that have one.
CREATE INDEX `requests_ttft_idx` ON `requests` (`ttft_ms`) WHERE `ttft_ms` IS NOT NULL;
--> statement-breakpoint
-- Summaries and histograms that a filter keeps from the totals (a time window, a common
-- word) read this index alone, never the table rows: a row is hundreds of bytes, its
-- entry here a few dozen.
CREATE INDEX `requests_summary_idx` ON `requests` (`started_at`, `outcome`, `truncated`, `input_tokens`, `output_tokens`, `ttft_ms`);
--> statement-breakpoint
-- The histogram's failed counts: truncated answers by time (failed outcomes come from
-- requests_outcome_idx).
CREATE INDEX `requests_truncated_idx` ON `requests` (`started_at`) WHERE `outcome` = 'completed' AND `truncated` = 1;
