-- Reports filed by employees about an account (and some of its statuses), for the
-- department's moderators. category: spam | legal | violation | other.
-- status_ids and rule_ids are JSON arrays of ids; rule_ids (1-based positions in
-- instance.rules) only for violation reports. forward: the reporter asked for the report to be
-- forwarded to the account's own department.
CREATE TABLE reports (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_ids TEXT NOT NULL DEFAULT '[]',
    rule_ids TEXT,
    comment TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT 'other',
    forward BOOLEAN NOT NULL DEFAULT FALSE,
    forwarded BOOLEAN NOT NULL DEFAULT FALSE,
    assigned_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action_taken_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action_taken_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX reports_target ON reports (target_account_id);
CREATE INDEX reports_open ON reports (action_taken_at, id);
