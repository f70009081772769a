-- Request bodies as segments (request-segments.ts): the parts bodies share stored once,
-- each body a JSON list of inline strings and segment ids. Existing rows keep their
-- text in request_body_text (request_body_segments null) until the segment backlog
-- (segment-backlog.ts) converts them; both read back the same.
CREATE TABLE `request_segments` (
	`id` integer PRIMARY KEY NOT NULL,
	`hash` blob NOT NULL,
	`refs` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `request_segments_hash_unique` ON `request_segments` (`hash`);
--> statement-breakpoint
CREATE TABLE `request_segment_texts` (
	`id` integer PRIMARY KEY NOT NULL,
	`text` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `request_bodies` ADD `request_body_segments` text;
--> statement-breakpoint
-- Reference counts: refs is the number of bodies whose list names the segment (a body
-- naming one twice counts once, on the way in and on the way out). New ids are counted
-- before old ones are released, so a part both lists share never drops to 0 on the way.
-- A segment no body names any more goes, text and all. Deleting a record deletes its
-- bodies row by the foreign key's cascade, which fires the delete trigger too.
CREATE TRIGGER `request_bodies_segments_insert` AFTER INSERT ON `request_bodies`
WHEN NEW.`request_body_segments` IS NOT NULL BEGIN
	UPDATE `request_segments` SET `refs` = `refs` + 1
	WHERE `id` IN (SELECT `value` FROM json_each(NEW.`request_body_segments`) WHERE `type` = 'integer');
END;
--> statement-breakpoint
CREATE TRIGGER `request_bodies_segments_update` AFTER UPDATE OF `request_body_segments` ON `request_bodies`
WHEN OLD.`request_body_segments` IS NOT NEW.`request_body_segments` BEGIN
	UPDATE `request_segments` SET `refs` = `refs` + 1
	WHERE NEW.`request_body_segments` IS NOT NULL
		AND `id` IN (SELECT `value` FROM json_each(NEW.`request_body_segments`) WHERE `type` = 'integer');
	UPDATE `request_segments` SET `refs` = `refs` - 1
	WHERE OLD.`request_body_segments` IS NOT NULL
		AND `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer');
	DELETE FROM `request_segment_texts`
	WHERE OLD.`request_body_segments` IS NOT NULL
		AND `id` IN (SELECT `id` FROM `request_segments` WHERE `refs` <= 0
			AND `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer'));
	DELETE FROM `request_segments`
	WHERE OLD.`request_body_segments` IS NOT NULL AND `refs` <= 0
		AND `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer');
END;
--> statement-breakpoint
CREATE TRIGGER `request_bodies_segments_delete` AFTER DELETE ON `request_bodies`
WHEN OLD.`request_body_segments` IS NOT NULL BEGIN
	UPDATE `request_segments` SET `refs` = `refs` - 1
	WHERE `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer');
	DELETE FROM `request_segment_texts`
	WHERE `id` IN (SELECT `id` FROM `request_segments` WHERE `refs` <= 0
		AND `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer'));
	DELETE FROM `request_segments`
	WHERE `refs` <= 0
		AND `id` IN (SELECT `value` FROM json_each(OLD.`request_body_segments`) WHERE `type` = 'integer');
END;
