ALTER TABLE notifications DROP COLUMN report_id;
DROP TABLE account_suspensions;
DROP INDEX reports_target_open;
ALTER TABLE reports DROP COLUMN ap_id;
ALTER TABLE users DROP COLUMN disabled_at;
DROP INDEX accounts_silenced;
ALTER TABLE accounts DROP COLUMN sensitized_at;
ALTER TABLE accounts DROP COLUMN silenced_at;
DROP TABLE audit_log;

