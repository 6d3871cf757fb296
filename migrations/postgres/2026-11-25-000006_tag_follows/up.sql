-- Hashtags an employee follows: public posts with them join their home timeline.
CREATE TABLE tag_follows (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tag_follows_account_tag ON tag_follows (account_id, tag_id);
CREATE INDEX tag_follows_tag ON tag_follows (tag_id);
