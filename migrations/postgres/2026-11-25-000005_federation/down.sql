DROP INDEX received_activities_received_at;
DROP TABLE instance_keys;
DROP TABLE federation_domains;
DROP TABLE deliveries;
DROP TABLE outgoing_activities;
CREATE TABLE outgoing_activities (
    id BIGINT PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    actor_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES outgoing_activities (id) ON DELETE CASCADE,
    inbox_url TEXT NOT NULL,
    domain TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    locked_by TEXT,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (activity_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX deliveries_domain ON deliveries (domain, delivered_at);
