-- The departments an employee blocks (Mastodon's account domain blocks): the posts and
-- notifications of their accounts are hidden from the employee's timelines, and follows
-- between the employee and them end.
CREATE TABLE account_domain_blocks (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, domain)
);

-- Follow suggestions an employee dismissed: never suggested to them again.
CREATE TABLE suggestion_dismissals (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, target_account_id)
);

-- The links in a post's text (not mentions, not hashtags), each once per post: for link
-- trends and the link timeline.
CREATE TABLE status_links (
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    PRIMARY KEY (status_id, url)
);
CREATE INDEX status_links_url ON status_links (url, status_id);
