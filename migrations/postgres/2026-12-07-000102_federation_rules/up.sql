-- The federation policy, editable at run time (`federation.allowed_domains` in the config is
-- the starting set). Shaped like Mastodon's domain allows and blocks, so its admin API and
-- tools work unchanged.

-- Whether the department federates only with allowed domains (`allowlist`, the default
-- when there is no row) or with every domain that is not blocked (`blocklist`). One row.
CREATE TABLE federation_settings (
    id BIGINT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Domains allowed besides the config's `federation.allowed_domains` (allowlist mode).
CREATE TABLE domain_allows (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- What is done to a domain and its subdomains, in either mode: `suspend` (nothing in or
-- out), `silence` (hidden from the public and hashtag timelines for those who do not follow
-- the author), `noop` (only the flags below).
CREATE TABLE domain_blocks (
    id BIGINT PRIMARY KEY NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    severity TEXT NOT NULL,
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    private_comment TEXT,
    public_comment TEXT,
    obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
