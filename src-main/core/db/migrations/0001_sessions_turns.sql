ALTER TABLE `requests` ADD `session_inferred` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `requests` ADD `turn_id` text;--> statement-breakpoint
ALTER TABLE `requests` ADD `attempt` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `requests` ADD `turn_fingerprint` text;--> statement-breakpoint
ALTER TABLE `requests` ADD `conversation_messages` integer;--> statement-breakpoint
ALTER TABLE `requests` ADD `conversation_tail` text;--> statement-breakpoint
ALTER TABLE `requests` ADD `prompt` text;--> statement-breakpoint
ALTER TABLE `requests` ADD `first_prompt` text;--> statement-breakpoint
CREATE INDEX `requests_turn_idx` ON `requests` (`turn_id`,`started_at`,`id`);