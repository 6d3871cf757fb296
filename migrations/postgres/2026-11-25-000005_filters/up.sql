-- An employee's content filters (Mastodon's v2 filters; v1 filters are their keywords).
-- context: comma-separated home, notifications, public, thread, account.
-- filter_action: warn (shown behind a warning) | hide (left out of timelines).
CREATE TABLE filters (
    id BIGINT PRIMARY KEY,
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
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    whole_word BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id);

-- Individual statuses a filter matches.
CREATE TABLE filter_statuses (
    id BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX filter_statuses_filter_status ON filter_statuses (filter_id, status_id);
