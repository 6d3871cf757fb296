-- Corporate SSO (OpenID Connect) and SCIM provisioning.

-- The groups the identity provider last reported (JSON array of names; roles and the
-- allowed-groups check come from them), and the SCIM identity of accounts IT provisioned.
ALTER TABLE users ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN scim_external_id TEXT;
ALTER TABLE users ADD COLUMN scim_user_name TEXT;
CREATE UNIQUE INDEX users_scim_external_id ON users (scim_external_id);
CREATE INDEX users_scim_user_name ON users (scim_user_name);
CREATE INDEX web_sessions_oidc_sid ON web_sessions (oidc_sid);

-- Sign-ins sent to the identity provider and not back yet: one row per `state` (stored
-- hashed), single use, with the nonce and PKCE verifier it must come back with.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Ids of one-time tokens already accepted (back-channel logout tokens' `jti`), kept until
-- they expire, so a replayed one is refused.
CREATE TABLE oidc_seen_tokens (
    key TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- SCIM groups pushed by the identity provider and their members (local employees).
CREATE TABLE scim_groups (
    id INTEGER PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL,
    external_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (display_name);

CREATE TABLE scim_group_members (
    group_id BIGINT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_group_members_user ON scim_group_members (user_id);
