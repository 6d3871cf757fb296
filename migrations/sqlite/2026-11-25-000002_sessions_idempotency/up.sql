-- Signed-in browser sessions (web pages and the OAuth authorize flow). Stored server-side so
-- that logout, suspension and SSO back-channel logout can end them. Only the token's SHA-256
-- is stored.
CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    oidc_sid TEXT,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

-- `Idempotency-Key` of status creation: the same key from the same account within a day
-- returns the status already created instead of posting twice.
CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- Which authorization code a token came from, so replaying a used code revokes its tokens
-- (RFC 6749 §4.1.2).
ALTER TABLE oauth_access_tokens ADD COLUMN authorization_code_id BIGINT;

-- Local accounts keep the plain-text source of their bio (`note` holds the HTML shown).
ALTER TABLE accounts ADD COLUMN note_source TEXT;
