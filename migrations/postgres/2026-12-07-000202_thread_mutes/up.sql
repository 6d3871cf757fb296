-- Threads an employee muted (Mastodon's conversation mute): no notifications about posts in
-- them; their posts say `muted`. A thread is named by its first post's id.
CREATE TABLE thread_mutes (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    thread_root_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, thread_root_id)
);
