-- The department's usage policy (its social-media policy): Markdown text, versioned. The
-- current version is the highest `number`; every employee must accept it before posting or
-- interacting.
CREATE TABLE usage_policy_versions (
    number BIGINT PRIMARY KEY NOT NULL,
    -- The policy as the admin wrote it (Markdown).
    text TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    -- Who published it: an administrator's account, or NULL with `published_by` "cli".
    published_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    published_by TEXT NOT NULL
);

-- Who accepted which version, and when.
CREATE TABLE usage_policy_acceptances (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version BIGINT NOT NULL REFERENCES usage_policy_versions (number) ON DELETE CASCADE,
    accepted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, version)
);
-- The export of one version's acceptances, in the order they came.
CREATE INDEX usage_policy_acceptances_version ON usage_policy_acceptances (version, accepted_at);
