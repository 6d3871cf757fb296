-- The client API's extras: timeline markers, lists, filters, followed hashtags, the
-- profile directory, reports and direct conversations.

-- Where an employee stopped reading their home timeline and notifications, so every app they
-- use resumes there (Mastodon's markers). `version` counts updates: Mastodon's optimistic lock.
CREATE TABLE markers (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline TEXT NOT NULL,
    last_read_id BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX markers_account_timeline ON markers (account_id, timeline);

-- An employee's lists of accounts they follow, each with its own timeline.
-- replies_policy: followed | list | none (which replies to others show in the list timeline).
-- exclusive: members' posts leave the home timeline.
CREATE TABLE lists (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    replies_policy TEXT NOT NULL DEFAULT 'list',
    exclusive BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX lists_account ON lists (account_id);

CREATE TABLE list_accounts (
    id INTEGER PRIMARY KEY NOT NULL,
    list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX list_accounts_list_account ON list_accounts (list_id, account_id);
CREATE INDEX list_accounts_account ON list_accounts (account_id);

-- An employee's content filters (Mastodon's v2 filters; v1 filters are their keywords).
-- context: comma-separated home, notifications, public, thread, account.
-- filter_action: warn (shown behind a warning) | hide (left out of timelines).
CREATE TABLE filters (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    filter_action TEXT NOT NULL DEFAULT 'warn',
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX filters_account ON filters (account_id);

-- Words or phrases a filter matches, case-insensitively; whole_word respects word boundaries.
CREATE TABLE filter_keywords (
    id INTEGER PRIMARY KEY NOT NULL,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);

-- Individual statuses a filter matches.
CREATE TABLE filter_statuses (
    id INTEGER PRIMARY KEY NOT NULL,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX filter_statuses_filter_status ON filter_statuses (filter_id, status_id);

-- Hashtags an employee follows: public posts with them join their home timeline.
CREATE TABLE tag_follows (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tag_follows_account_tag ON tag_follows (account_id, tag_id);
CREATE INDEX tag_follows_tag ON tag_follows (tag_id);

-- The profile directory lists discoverable accounts, most recently active first.
CREATE INDEX accounts_directory ON accounts (discoverable, last_status_at);

-- Reports filed by employees about an account (and some of its statuses), for the
-- department's moderators. category: spam | legal | violation | other.
-- status_ids and rule_ids are JSON arrays of ids; rule_ids (1-based positions in
-- instance.rules) only for violation reports. forward: the reporter asked for the report to be
-- forwarded to the account's own department.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY NOT NULL,
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

-- Direct conversations are the threads (by thread_root_id) holding direct statuses an
-- employee wrote or was mentioned in; they are computed from the statuses. This table only
-- keeps each employee's own state: up to which status they read a conversation, and up to
-- which status they removed it from their list (a newer message brings it back).
CREATE TABLE account_conversations (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    conversation_id BIGINT NOT NULL,
    last_read_status_id BIGINT,
    removed_through_status_id BIGINT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX account_conversations_account_conversation
    ON account_conversations (account_id, conversation_id);

CREATE INDEX statuses_direct_threads ON statuses (thread_root_id, id) WHERE visibility = 'direct';
