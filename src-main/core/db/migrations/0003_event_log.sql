-- The response's event log stored once (recorder/event-log.ts): the SSE bytes of the
-- kept events in `event_log` and their times and end offsets in `event_times`, both
-- BLOBs written by the store (brotli bytes, varints), instead of one JSON object per
-- event in `events`.
ALTER TABLE `request_bodies` ADD `event_log` blob;--> statement-breakpoint
ALTER TABLE `request_bodies` ADD `event_times` blob;--> statement-breakpoint
-- Old rows: their events become the SSE text they were parsed from (re-parsing it
-- gives them back: `event:` when named, one `data:` line per line of data) and a JSON
-- array of their times. SQL cannot compress, so these stay TEXT in both columns; the
-- reader tells them from the store's own rows by the storage class (TEXT vs BLOB).
-- A row without events keeps NULL in both, as the store writes it.
UPDATE `request_bodies` SET
  `event_log` = (
    SELECT group_concat(
      CASE WHEN `e`.`value` ->> '$.event' IS NOT NULL THEN 'event: ' || (`e`.`value` ->> '$.event') || char(10) ELSE '' END
        || 'data: ' || replace(coalesce(`e`.`value` ->> '$.data', ''), char(10), char(10) || 'data: ') || char(10) || char(10),
      '' ORDER BY `e`.`key`)
    FROM json_each(`request_bodies`.`events`) AS `e`
  ),
  `event_times` = (
    SELECT json_group_array(coalesce(`e`.`value` ->> '$.t', 0) ORDER BY `e`.`key`)
    FROM json_each(`request_bodies`.`events`) AS `e`
  )
WHERE json_valid(`events`) AND json_type(`events`) = 'array' AND json_array_length(`events`) > 0;--> statement-breakpoint
ALTER TABLE `request_bodies` DROP COLUMN `events`;
