-- Announcements from the department's administrators (Mastodon's announcements): shown in
-- every employee's app while current.
CREATE TABLE announcements (
    id BIGINT PRIMARY KEY NOT NULL,
    -- Markdown, as the administrator wrote it.
    text TEXT NOT NULL,
    starts_at TIMESTAMP,
    ends_at TIMESTAMP,
    all_day BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- `@username` of the administrator, or `cli`.
    published_by TEXT NOT NULL
);

-- Who dismissed (read) which announcement: counted for administrators only in aggregate.
CREATE TABLE announcement_reads (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (announcement_id, account_id)
);

CREATE TABLE announcement_reactions (
    announcement_id BIGINT NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (announcement_id, account_id, name)
);
