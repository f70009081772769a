-- A finished stream's answer is no longer stored beside its event log, which already
-- holds it (schema.ts, request_bodies.answer_in_log; row-mapping.ts rebuilds it): rows
-- from before keep their stored answer (0 here).
ALTER TABLE `request_bodies` ADD `answer_in_log` integer DEFAULT false NOT NULL;
--> statement-breakpoint
-- The search index rebuilt with detail=none: it keeps which records hold a word, not
-- where in them. Search needs no more (common/text-search.ts: words and a last-word
-- prefix, ANDed, no phrases or column filters), and the index is a seventh of the
-- size (3.6 KB → 0.5 KB for a 200-chunk stream) and cheaper to write.
DROP TABLE `request_search`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `request_search` USING fts5(prompt, models, answer, reasoning, tools, errors, content='', contentless_delete=1, detail=none, tokenize='unicode61 remove_diacritics 0');
--> statement-breakpoint
-- Existing records, as the writer would have written them (search-entries.ts). 0005 no
-- longer fills its own index, so a database from before it is indexed once, here.
INSERT INTO `request_search` (rowid, prompt, models, answer, reasoning, tools, errors)
SELECT r.rowid, r.prompt,
  coalesce(r.model, '') || ' ' || coalesce(r.response_model, ''),
  CASE WHEN r.outcome = 'in_progress' THEN '' ELSE coalesce(b.response_text, r.response_preview) END,
  CASE WHEN r.outcome = 'in_progress' THEN '' ELSE coalesce(b.response_reasoning, '') END,
  CASE WHEN r.outcome = 'in_progress' THEN '' ELSE coalesce((SELECT group_concat(coalesce(json_extract(j.value, '$.name'), '') || ' ' || coalesce(json_extract(j.value, '$.arguments'), ''), ' ') FROM json_each(CASE WHEN json_valid(b.tool_calls) THEN b.tool_calls ELSE '[]' END) j), '') END,
  CASE WHEN r.outcome = 'in_progress' THEN '' ELSE coalesce(r.error_message, '') || ' ' || coalesce(r.proxy_error_message, '') END
FROM `requests` r LEFT JOIN `request_bodies` b ON b.id = r.id;
