ALTER TABLE notifications DROP COLUMN account_warning_id;
DROP TABLE account_warnings;
DROP INDEX statuses_held;
ALTER TABLE statuses DROP COLUMN local_only;
ALTER TABLE statuses DROP COLUMN held_for_review;
DROP TABLE policy_matches;
DROP TABLE policy_versions;
