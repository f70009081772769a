CREATE TABLE `request_bodies` (
	`id` text PRIMARY KEY NOT NULL,
	`request_headers` text NOT NULL,
	`request_body_text` text DEFAULT '' NOT NULL,
	`request_body_bytes` integer DEFAULT 0 NOT NULL,
	`request_body_truncated` integer DEFAULT false NOT NULL,
	`response_headers` text NOT NULL,
	`response_text` text DEFAULT '' NOT NULL,
	`response_reasoning` text DEFAULT '' NOT NULL,
	`tool_calls` text NOT NULL,
	`response_body_text` text,
	`response_body_bytes` integer,
	`response_body_truncated` integer,
	`events` text NOT NULL,
	FOREIGN KEY (`id`) REFERENCES `requests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `requests` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`client` text,
	`client_version` text,
	`user_agent` text,
	`session_id` text,
	`credential_fingerprint` text,
	`upstream` text NOT NULL,
	`upstream_url` text NOT NULL,
	`api` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`model` text,
	`response_model` text,
	`stream` integer NOT NULL,
	`http_status` integer,
	`outcome` text NOT NULL,
	`phase` text,
	`stop_reason` text,
	`truncated` integer DEFAULT false NOT NULL,
	`provider_error` integer DEFAULT false NOT NULL,
	`error_type` text,
	`error_code` text,
	`error_message` text,
	`retry_after_s` real,
	`proxy_error_message` text,
	`diagnosis` text DEFAULT '' NOT NULL,
	`evidence` text NOT NULL,
	`first_byte_ms` integer,
	`ttft_ms` integer,
	`last_event_ms` integer,
	`duration_ms` integer,
	`input_tokens` integer,
	`output_tokens` integer,
	`reasoning_tokens` integer,
	`cached_tokens` integer,
	`total_tokens` integer,
	`usage_estimated` integer DEFAULT false NOT NULL,
	`event_count` integer DEFAULT 0 NOT NULL,
	`bad_json_events` integer DEFAULT 0 NOT NULL,
	`bytes_in` integer DEFAULT 0 NOT NULL,
	`bytes_out` integer DEFAULT 0 NOT NULL,
	`retry_count` integer,
	`response_preview` text DEFAULT '' NOT NULL,
	`events_truncated` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `requests_started_at_idx` ON `requests` (`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_outcome_idx` ON `requests` (`outcome`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_model_idx` ON `requests` (`model`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_client_idx` ON `requests` (`client`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_session_idx` ON `requests` (`session_id`,`started_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_upstream_idx` ON `requests` (`upstream`,`started_at`,`id`);