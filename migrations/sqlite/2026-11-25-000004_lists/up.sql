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
