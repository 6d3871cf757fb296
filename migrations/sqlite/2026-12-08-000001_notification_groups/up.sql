-- Grouped notifications (Mastodon 4.3): favourites and boosts of one post, and follows, that
-- arrive within hours of each other share a group key; other notifications have none (each is
-- its own group, "ungrouped-ID"). Filtered notifications (the notification policy) have none.
ALTER TABLE notifications ADD COLUMN group_key TEXT;
-- Held back by the recipient's notification policy: shown only among the notification
-- requests until the recipient accepts them.
ALTER TABLE notifications ADD COLUMN filtered BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE notifications SET group_key = kind || '-' || status_id || '-' || (CAST(strftime('%s', created_at) AS INTEGER) / 3600)
    WHERE kind IN ('favourite', 'reblog') AND status_id IS NOT NULL;
UPDATE notifications SET group_key = kind || '-' || (CAST(strftime('%s', created_at) AS INTEGER) / 3600) WHERE kind = 'follow';
CREATE INDEX notifications_groups ON notifications (account_id, group_key, id);

-- What an employee wants done with notifications from people they may not know: accept,
-- filter (into notification requests) or drop. Without a row: accept all but from accounts a
-- moderator limited (Mastodon also filters private mentions by default; here every sender is a
-- colleague signed in through the company's SSO).
CREATE TABLE notification_policies (
    account_id BIGINT PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    for_not_following TEXT NOT NULL DEFAULT 'accept',
    for_not_followers TEXT NOT NULL DEFAULT 'accept',
    for_new_accounts TEXT NOT NULL DEFAULT 'accept',
    for_private_mentions TEXT NOT NULL DEFAULT 'accept',
    for_limited_accounts TEXT NOT NULL DEFAULT 'filter',
    updated_at TIMESTAMP NOT NULL
);

-- One per sender whose notifications the policy filtered and the recipient has not decided on.
CREATE TABLE notification_requests (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    last_status_id BIGINT REFERENCES statuses (id) ON DELETE SET NULL,
    notifications_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, from_account_id)
);

-- Senders an employee accepted: their notifications are never filtered again.
CREATE TABLE notification_permissions (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, from_account_id)
);
