DROP INDEX follows_target;
CREATE INDEX follows_target ON follows (target_account_id, accepted);
