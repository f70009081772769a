-- Rows recorded before sessions and turns existed (migration 0001 added the columns).
-- Each old row becomes a turn of its own, attempt 1: its body was never fingerprinted,
-- so nothing links it to a sibling.
UPDATE `requests` SET `turn_id` = `id` WHERE `turn_id` IS NULL;
--> statement-breakpoint
-- Old rows without a session header get the inferred session the previous Streamtap
-- showed for them: same client label and credential, split where a request starts more
-- than 30 minutes after the group's last activity; the id is `inferred:` + the group's
-- first request, as new inferred sessions are named. (Their bodies were never read, so
-- conversation continuity cannot split them further.)
WITH `ordered` AS (
  SELECT `id`, `client`, `credential_fingerprint`, `started_at`,
    max(coalesce(`ended_at`, `started_at`)) OVER (
      PARTITION BY `client`, `credential_fingerprint` ORDER BY `started_at`, `id`
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS `prev_active`
  FROM `requests` WHERE `session_id` IS NULL
), `grouped` AS (
  SELECT `id`, `client`, `credential_fingerprint`, `started_at`,
    sum(CASE WHEN `prev_active` IS NULL OR `started_at` - `prev_active` > 1800000 THEN 1 ELSE 0 END) OVER (
      PARTITION BY `client`, `credential_fingerprint` ORDER BY `started_at`, `id`
    ) AS `grp`
  FROM `ordered`
), `firsts` AS (
  SELECT `id`, first_value(`id`) OVER (
    PARTITION BY `client`, `credential_fingerprint`, `grp` ORDER BY `started_at`, `id`
  ) AS `first_id`
  FROM `grouped`
)
UPDATE `requests` SET `session_id` = 'inferred:' || `firsts`.`first_id`, `session_inferred` = 1
FROM `firsts` WHERE `firsts`.`id` = `requests`.`id`;
