-- Where an employee stopped reading their home timeline and notifications, so every app they
-- use resumes there (Mastodon's markers). `version` counts updates: Mastodon's optimistic lock.
CREATE TABLE markers (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL,
    last_read_id BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX markers_account_timeline ON markers (account_id, timeline);
