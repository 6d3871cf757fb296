ALTER TABLE accounts DROP COLUMN note_source;
ALTER TABLE oauth_access_tokens DROP COLUMN authorization_code_id;
DROP TABLE idempotency_keys;
DROP TABLE web_sessions;
